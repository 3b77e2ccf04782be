/**
 * Every field of the cluster-file schema has a declared destination: the synthesized manifests (constructs/), the
 * host provisioner (src/host/), or an explicit list of fields that are not output, each with the reason. A field
 * added to the schema alone fails here until it is wired and listed, instead of being parsed and silently dropped.
 * (Where construct props and the file differ on purpose is said once, in src/model/props.ts.)
 */
import { z } from 'zod';
import { clusterSchema } from '../../src/model/schema';

/** Leaf field paths of a zod schema: `kubernetes.services[].ports[].port`. */
function leaves(schema: z.ZodType, at = '', out: string[] = []): string[] {
  let s = schema as unknown as { _zod: { def: Record<string, any> } };
  while (['optional', 'default', 'nullable', 'prefault'].includes(s._zod.def.type)) s = s._zod.def.innerType;
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
const SYNTHESIZED = [
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
  'kubernetes.services[].externalName',
  'kubernetes.services[].externalTrafficPolicy',
  'kubernetes.services[].loadBalancerIP',
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
const PROVISIONED = [
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
  'nodes[].nat.masquerade[].source',
  'nodes[].nat.masquerade[].outInterface',
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

/** Not output, with the reason. */
const NOT_OUTPUT: Record<string, string> = {
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
  'nodes[].name': 'names the host in reports and --only; not state',
  'nodes[].ssh.host': 'how to reach the node, not its state',
  'nodes[].ssh.port': 'how to reach the node, not its state',
  'nodes[].ssh.user': 'how to reach the node, not its state',
  'nodes[].ssh.identityFile': 'how to reach the node, not its state',
  'nodes[].ssh.jumpHost': 'how to reach the node, not its state',
  'nodes[].interfaces[].lan': 'the lab cables the interface; the host keeps its cabling',
  'nodes[].namespaces[].name': 'names the host in reports and --only; not state',
  'nodes[].namespaces[].veth.name': 'names the host in reports and --only; not state',
  'nodes[].namespaces[].veth.hostSide': 'names the host in reports and --only; not state',
  'nodes[].namespaces[].veth.bridge': 'names the host in reports and --only; not state',
  'nodes[].namespaces[].veth.address': 'names the host in reports and --only; not state',
  'nodes[].namespaces[].defaultRoute': 'names the host in reports and --only; not state',
  'nodes[].runsCoreDns': 'only checked: warns about a 127.0.0.53 resolver',
  'verify[].from': 'connectivity checks run by verify, not state',
  'verify[].ping': 'connectivity checks run by verify, not state',
  'verify[].tcp': 'connectivity checks run by verify, not state',
  'verify[].expect': 'connectivity checks run by verify, not state',
  'lab.managementCidr': 'the lab only',
};

test('every schema field is synthesized, provisioned or listed as not output (exactly one of them)', () => {
  const fields = leaves(clusterSchema);
  const declared = [...SYNTHESIZED, ...PROVISIONED, ...Object.keys(NOT_OUTPUT)];
  expect(fields.filter((f) => !declared.includes(f))).toEqual([]);
  expect(declared.filter((f) => !fields.includes(f))).toEqual([]);
  expect(declared.filter((f, i) => declared.indexOf(f) !== i)).toEqual([]);
});
