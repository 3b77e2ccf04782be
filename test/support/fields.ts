/**
 * Where every leaf field of the cluster-file schema goes: the synthesized manifests (constructs/), the host
 * provisioner (src/host/), or an explicit list of fields that are not output, each with the reason. Read by
 * fields.test.ts (every field is listed exactly once) and field-output.test.ts (every listed value reaches its output).
 */
import { z } from 'zod';
import { clusterSchema } from '../../src/model/schema';

/** Leaf field paths of a zod schema: `kubernetes.services[].ports[].port`. */
export function leaves(schema: z.ZodType, at = '', out: string[] = []): string[] {
  let s = schema as unknown as { _zod: { def: Record<string, any> } };
  // A transform (network, lans[]: the dual-stack lists) is read as the schema it transforms.
  while (['optional', 'default', 'nullable', 'prefault', 'pipe'].includes(s._zod.def.type))
    s = s._zod.def.type === 'pipe' ? s._zod.def.in : s._zod.def.innerType;
  const def = s._zod.def;
  if (def.type === 'object') {
    for (const [key, value] of Object.entries(def.shape)) leaves(value as z.ZodType, at ? `${at}.${key}` : key, out);
  } else if (def.type === 'array') {
    leaves(def.element, `${at}[]`, out);
  } else {
    out.push(at);
  }
  return out;
}

/** Read by the constructs of ClusterChart (constructs/cluster-chart.ts). */
export const SYNTHESIZED: ReadonlyArray<string> = [
  'cni.flannel.version',
  'cni.flannel.cniPluginVersion',
  'cni.flannel.network',
  'cni.flannel.backend',
  'cni.flannel.enableNFTables',
  'kubernetes.namespaces[].name',
  'kubernetes.namespaces[].labels',
  'name',
  'network.podCidr',
  'network.serviceCidr',
  'network.clusterDomain',
  'network.dnsServiceIp',
  'cni.plugin',
  'cni.weave.version',
  'cni.weave.ipallocRange',
  'cni.weave.mtu',
  'cni.weave.connLimit',
  'cni.weave.passwordSecret.name',
  'cni.weave.passwordSecret.key',
  'cni.weave.npcArgs[]',
  'cni.weave.env',
  'cni.bridge.name',
  'cni.bridge.subnet',
  'cni.conflist.cniVersion',
  'cni.conflist.cniVersions[]',
  'cni.conflist.name',
  'cni.conflist.disableCheck',
  'cni.conflist.disableGC',
  'cni.conflist.plugins[]',
  'cni.conflist.fileName',
  'cni.installer',
  'kubeProxy.mode',
  'kubeProxy.strictArp',
  'kubeProxy.controlPlaneEndpoint',
  'dns.provider',
  'dns.version',
  'dns.replicas',
  'dns.corefile',
  'dns.upstreams[]',
  'dns.hosts[].ip',
  'dns.hosts[].names[]',
  'dns.stubDomains',
  'ingressController.provider',
  'ingressController.flavor',
  'ingressController.version',
  'ingressController.replicas',
  'ingressController.defaultClass',
  'ingressController.serviceType',
  'ingressController.nodePorts.http',
  'ingressController.nodePorts.https',
  'ingressController.extraArgs',
  'ingressController.config',
  'kubernetes.services[].name',
  'kubernetes.services[].namespace',
  'kubernetes.services[].labels',
  'kubernetes.services[].annotations',
  'kubernetes.services[].type',
  'kubernetes.services[].selector',
  'kubernetes.services[].clusterIP',
  'kubernetes.services[].clusterIPs[]',
  'kubernetes.services[].ipFamilyPolicy',
  'kubernetes.services[].ipFamilies[]',
  'kubernetes.services[].externalName',
  'kubernetes.services[].externalTrafficPolicy',
  'kubernetes.services[].loadBalancerIP',
  'kubernetes.services[].loadBalancerSourceRanges[]',
  'kubernetes.services[].sessionAffinity',
  'kubernetes.services[].ports[].name',
  'kubernetes.services[].ports[].port',
  'kubernetes.services[].ports[].targetPort',
  'kubernetes.services[].ports[].protocol',
  'kubernetes.services[].ports[].nodePort',
  'kubernetes.services[].ports[].appProtocol',
  'kubernetes.ingresses[].name',
  'kubernetes.ingresses[].namespace',
  'kubernetes.ingresses[].labels',
  'kubernetes.ingresses[].annotations',
  'kubernetes.ingresses[].ingressClassName',
  'kubernetes.ingresses[].rewriteTarget',
  'kubernetes.ingresses[].defaultBackend.service',
  'kubernetes.ingresses[].defaultBackend.port',
  'kubernetes.ingresses[].tls[].hosts[]',
  'kubernetes.ingresses[].tls[].secretName',
  'kubernetes.ingresses[].tls[].certFile',
  'kubernetes.ingresses[].tls[].keyFile',
  'kubernetes.ingresses[].rules[].host',
  'kubernetes.ingresses[].rules[].paths[].path',
  'kubernetes.ingresses[].rules[].paths[].pathType',
  'kubernetes.ingresses[].rules[].paths[].backend.service',
  'kubernetes.ingresses[].rules[].paths[].backend.port',
  'kubernetes.networkPolicies[].name',
  'kubernetes.networkPolicies[].namespace',
  'kubernetes.networkPolicies[].labels',
  'kubernetes.networkPolicies[].annotations',
  'kubernetes.networkPolicies[].podSelector.matchLabels',
  'kubernetes.networkPolicies[].podSelector.matchExpressions[].key',
  'kubernetes.networkPolicies[].podSelector.matchExpressions[].operator',
  'kubernetes.networkPolicies[].podSelector.matchExpressions[].values[]',
  'kubernetes.networkPolicies[].policyTypes[]',
  'kubernetes.networkPolicies[].ingress[].from[].ipBlock.cidr',
  'kubernetes.networkPolicies[].ingress[].from[].ipBlock.except[]',
  'kubernetes.networkPolicies[].ingress[].from[].namespaceSelector.matchLabels',
  'kubernetes.networkPolicies[].ingress[].from[].namespaceSelector.matchExpressions[].key',
  'kubernetes.networkPolicies[].ingress[].from[].namespaceSelector.matchExpressions[].operator',
  'kubernetes.networkPolicies[].ingress[].from[].namespaceSelector.matchExpressions[].values[]',
  'kubernetes.networkPolicies[].ingress[].from[].podSelector.matchLabels',
  'kubernetes.networkPolicies[].ingress[].from[].podSelector.matchExpressions[].key',
  'kubernetes.networkPolicies[].ingress[].from[].podSelector.matchExpressions[].operator',
  'kubernetes.networkPolicies[].ingress[].from[].podSelector.matchExpressions[].values[]',
  'kubernetes.networkPolicies[].ingress[].ports[].protocol',
  'kubernetes.networkPolicies[].ingress[].ports[].port',
  'kubernetes.networkPolicies[].ingress[].ports[].endPort',
  'kubernetes.networkPolicies[].egress[].to[].ipBlock.cidr',
  'kubernetes.networkPolicies[].egress[].to[].ipBlock.except[]',
  'kubernetes.networkPolicies[].egress[].to[].namespaceSelector.matchLabels',
  'kubernetes.networkPolicies[].egress[].to[].namespaceSelector.matchExpressions[].key',
  'kubernetes.networkPolicies[].egress[].to[].namespaceSelector.matchExpressions[].operator',
  'kubernetes.networkPolicies[].egress[].to[].namespaceSelector.matchExpressions[].values[]',
  'kubernetes.networkPolicies[].egress[].to[].podSelector.matchLabels',
  'kubernetes.networkPolicies[].egress[].to[].podSelector.matchExpressions[].key',
  'kubernetes.networkPolicies[].egress[].to[].podSelector.matchExpressions[].operator',
  'kubernetes.networkPolicies[].egress[].to[].podSelector.matchExpressions[].values[]',
  'kubernetes.networkPolicies[].egress[].ports[].protocol',
  'kubernetes.networkPolicies[].egress[].ports[].port',
  'kubernetes.networkPolicies[].egress[].ports[].endPort',
];

/** Read by the host resource kinds (src/host/resources/). */
export const PROVISIONED: ReadonlyArray<string> = [
  // The pod network: each node's pod subnet (conflist, pod routes) and the routes routing: auto derives.
  'network.nodeCidrMaskSize',
  'routing',
  'cni.binDir',
  'nodes[].role',
  'nodes[].podSubnet',
  'nodes[].interfaces[].name',
  'nodes[].interfaces[].addresses[]',
  'nodes[].interfaces[].mtu',
  'nodes[].sysctls',
  'nodes[].kubernetesPrerequisites',
  'nodes[].routes[].to',
  'nodes[].routes[].via',
  'nodes[].routes[].dev',
  'nodes[].routes[].metric',
  'nodes[].bridges[].name',
  'nodes[].bridges[].addresses[]',
  'nodes[].namespaces[].name',
  'nodes[].namespaces[].veth.name',
  'nodes[].namespaces[].veth.hostSide',
  'nodes[].namespaces[].veth.bridge',
  'nodes[].namespaces[].veth.address',
  'nodes[].namespaces[].defaultRoute',
  'nodes[].nat.masquerade[].source',
  'nodes[].nat.masquerade[].outInterface',
  'nodes[].nat.masquerade[].exceptDestination',
  'nodes[].nat.portForwards[].protocol',
  'nodes[].nat.portForwards[].port',
  'nodes[].nat.portForwards[].to',
  'nodes[].nat.portForwards[].inInterface',
  'nodes[].hosts[].ip',
  'nodes[].hosts[].names[]',
  'nodes[].resolv.nameservers[]',
  'nodes[].resolv.search[]',
  'nodes[].cniConflists',
];

/** Fields of the file itself that are not output, with the reason. */
const NOT_OUTPUT_OF_FILE: Readonly<Record<string, string>> = {
  'kubernetes.workloads[].name': 'describes pods for the NetworkPolicy analysis (netstrap netpol); not synthesized',
  'kubernetes.workloads[].namespace': 'NetworkPolicy analysis only',
  'kubernetes.workloads[].kind': 'NetworkPolicy analysis only',
  'kubernetes.workloads[].podLabels': 'NetworkPolicy analysis only',
  'kubernetes.workloads[].ports[].name': 'NetworkPolicy analysis only',
  'kubernetes.workloads[].ports[].containerPort': 'NetworkPolicy analysis only',
  'kubernetes.workloads[].ports[].protocol': 'NetworkPolicy analysis only',
  'kubernetes.workloads[].podIPs[]': 'NetworkPolicy analysis only',
  'network.nodeCidr': 'only checked: must not overlap pods or services',
  'lans[].name': 'the lab cables its LANs; nothing is synthesized or provisioned',
  'lans[].cidr': 'the lab cables its LANs; nothing is synthesized or provisioned',
  'network.nodeCidrMaskSizeIPv6':
    'checked against the IPv6 pod range (kube-controller-manager); the IPv6 pod subnets it sizes are not provisioned yet',
  'nodes[].name': 'names the host in reports and --only; not state',
  'nodes[].ssh.host': 'how to reach the node, not its state',
  'nodes[].ssh.port': 'how to reach the node, not its state',
  'nodes[].ssh.user': 'how to reach the node, not its state',
  'nodes[].ssh.identityFile': 'how to reach the node, not its state',
  'nodes[].ssh.jumpHost': 'how to reach the node, not its state',
  'nodes[].interfaces[].lan': 'the lab cables the interface; the host keeps its cabling',
  'nodes[].runsCoreDns': 'only checked: warns about a 127.0.0.53 resolver',
  'verify[].from': 'connectivity checks run by verify, not state',
  'verify[].ping': 'connectivity checks run by verify, not state',
  'verify[].tcp': 'connectivity checks run by verify, not state',
  'verify[].expect': 'connectivity checks run by verify, not state',
  'lab.managementCidr': 'the lab only',
  'nodes[].lab.networkManager': 'the lab only: the manager it runs inside the node',
  'nodes[].networkManager':
    'overrides the detected network manager (plan, bootstrap --json, diagnose); it changes the plan only through what a node reports (its networkd links), never from the file alone',
};

/** Not output, with the reason. */
export const NOT_OUTPUT: Readonly<Record<string, string>> = { ...NOT_OUTPUT_OF_FILE, ...nodeDefaults() };

/**
 * nodeDefaults.X is applied as nodes[].X (the node's own value wins), so it reaches what nodes[].X reaches: listed
 * only where nodes[].X has a destination.
 */
function nodeDefaults(): Record<string, string> {
  const node = (path: string) => `nodes[].${path.slice('nodeDefaults.'.length)}`;
  return Object.fromEntries(
    leaves(clusterSchema)
      .filter((path) => path.startsWith('nodeDefaults.'))
      .map((path): [string, string] => [path, `applied as ${node(path)}, which reaches its output`])
      .filter(([path]) => [...SYNTHESIZED, ...PROVISIONED, ...Object.keys(NOT_OUTPUT_OF_FILE)].includes(node(path))),
  );
}
