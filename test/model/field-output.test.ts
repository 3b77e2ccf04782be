/**
 * Every listed field's VALUE reaches its output: for each SYNTHESIZED field, a complete sample cluster file where
 * the field is set, with only that field changed to another valid value, synthesizes different manifests; for each
 * PROVISIONED field, the host plan of the nodes (every resource kind's changes from empty facts, no SSH) differs.
 * Table-driven from test/support/fields.ts: a listed field without a case here fails.
 */
import { Testing } from 'cdk8s';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClusterChart } from '../../constructs/cluster-chart';
import { planNode } from '../../src/host/node-plan';
import { resourceKinds } from '../../src/host/resources';
import { effectiveNodes } from '../../src/model/effective';
import { checkCluster } from '../../src/model/load';
import { PROVISIONED, SYNTHESIZED } from '../support/fields';
import { FactSet, factCommands } from '../../src/host/fact';

type Base = 'weave' | 'flannel' | 'bridge' | 'slices' | 'auto' | 'conflist' | 'corefile';
/**
 * `at`: where to change the sample (dots, array indices as numbers); `to`: the other valid value (undefined: leave
 * the field out). `unset`: fields left out of BOTH sides, where one that is set would hide this one (an explicit
 * dnsServiceIp hides the serviceCidr it defaults from).
 */
type Mutation = { readonly at: string; readonly to: unknown; readonly base?: Base; readonly unset?: readonly string[] };

const selector = (key: string) => ({
  matchLabels: { [key]: 'x' },
  matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }],
});
const rule = () => ({
  ports: [{ protocol: 'TCP', port: 6379, endPort: 6390 }],
});

const corefile = (upstream: string) => `.:53 {\n    errors\n    health\n    ready\n    forward . ${upstream}\n}\n`;

/** A cluster file with every field set (Weave Net; the other CNI plugins and a Corefile are variants). */
function sample(base: Base): any {
  const cluster: any = {
    name: 'i11-shape',
    network: {
      podCidr: '10.244.0.0/16',
      serviceCidr: '10.96.0.0/12',
      nodeCidr: '192.168.0.0/16',
      clusterDomain: 'cluster.local',
      dnsServiceIp: '10.96.0.10',
      nodeCidrMaskSize: 24,
    },
    cni: {
      plugin: 'weave',
      weave: {
        version: '2.8.1',
        ipallocRange: '10.244.0.0/16',
        mtu: 1376,
        connLimit: 100,
        passwordSecret: { name: 'weave-pw', key: 'pw' },
        npcArgs: ['--log-level=info'],
        env: { EXTRA_ARGS: '--log-level=info' },
      },
      binDir: '/opt/cni/bin',
    },
    kubeProxy: { mode: 'ipvs', strictArp: false, controlPlaneEndpoint: 'https://192.168.1.11:6443' },
    dns: {
      provider: 'coredns',
      version: 'v1.10.1',
      replicas: 2,
      upstreams: ['1.1.1.1'],
      hosts: [{ ip: '192.168.1.11', names: ['node01'] }],
      stubDomains: { 'corp.example': ['10.0.0.53'] },
    },
    ingressController: {
      provider: 'ingress-nginx',
      flavor: 'baremetal',
      version: '1.8.2',
      replicas: 1,
      defaultClass: false,
      serviceType: 'NodePort',
      nodePorts: { http: 30080, https: 30443 },
      extraArgs: { 'enable-ssl-passthrough': 'true' },
      config: { 'use-forwarded-headers': 'true' },
    },
    kubernetes: {
      services: [
        {
          name: 'web',
          namespace: 'default',
          labels: { tier: 'web' },
          annotations: { note: 'a' },
          type: 'NodePort',
          selector: { app: 'web' },
          clusterIP: '10.96.0.50',
          clusterIPs: ['10.96.0.50'],
          ipFamilyPolicy: 'SingleStack',
          ipFamilies: ['IPv4'],
          externalTrafficPolicy: 'Cluster',
          sessionAffinity: 'None',
          ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30008, appProtocol: 'http' }],
        },
        { name: 'db', namespace: 'default', type: 'ExternalName', externalName: 'db.example.com' },
        {
          name: 'lb',
          type: 'LoadBalancer',
          loadBalancerIP: '192.168.5.5',
          loadBalancerSourceRanges: ['10.0.0.0/8'],
          selector: { app: 'lb' },
          ports: [{ port: 443 }],
        },
        // The same Service in another namespace, so that the Ingress may move there.
        { name: 'web', namespace: 'apps', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] },
      ],
      ingresses: [
        {
          name: 'web',
          namespace: 'default',
          labels: { tier: 'web' },
          annotations: { note: 'a' },
          ingressClassName: 'nginx',
          rewriteTarget: '/',
          defaultBackend: { service: 'web', port: 80 },
          tls: [{ hosts: ['web.example.com'], secretName: 'web-tls', certFile: 'tls.crt', keyFile: 'tls.key' }],
          rules: [
            {
              host: 'web.example.com',
              paths: [{ path: '/', pathType: 'Prefix', backend: { service: 'web', port: 80 } }],
            },
          ],
        },
      ],
      networkPolicies: [
        {
          name: 'db',
          namespace: 'default',
          labels: { tier: 'db' },
          annotations: { note: 'a' },
          podSelector: selector('role'),
          policyTypes: ['Ingress', 'Egress'],
          ingress: [
            {
              from: [
                { ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } },
                { namespaceSelector: selector('project'), podSelector: selector('role') },
              ],
              ...rule(),
            },
          ],
          egress: [
            {
              to: [
                { ipBlock: { cidr: '172.18.0.0/16', except: ['172.18.1.0/24'] } },
                { namespaceSelector: selector('project'), podSelector: selector('role') },
              ],
              ...rule(),
            },
          ],
        },
      ],
      namespaces: [{ name: 'apps', labels: { team: 'a' } }],
    },
    routing: 'manual',
    lans: [
      { name: 'lan1', cidr: '192.168.1.0/24' },
      { name: 'lan2', cidr: '192.168.2.0/24' },
    ],
    nodes: [
      {
        name: 'node01',
        ssh: { host: '10.250.50.11' },
        role: 'control-plane',
        podSubnet: '10.244.1.0/24',
        interfaces: [{ name: 'eth0', lan: 'lan1', addresses: ['192.168.1.11/24'], mtu: 1500 }],
        sysctls: { 'net.ipv4.conf.all.rp_filter': 1, 'net.ipv4.ip_forward': 1 },
        kubernetesPrerequisites: true,
        routes: [{ to: '192.168.3.0/24', via: '192.168.1.1', dev: 'eth0', metric: 100 }],
        bridges: [
          { name: 'br0', addresses: ['10.10.0.1/24'] },
          { name: 'br1', addresses: ['10.20.0.1/24'] },
          { name: 'br9', addresses: ['10.30.0.1/24'] },
        ],
        namespaces: [
          {
            name: 'ns1',
            veth: { name: 'eth0', hostSide: 'veth-ns1', bridge: 'br0', address: '10.10.0.2/24' },
            defaultRoute: '10.10.0.1',
          },
          { name: 'ns2', veth: { hostSide: 'veth-ns2', bridge: 'br1', address: '10.20.0.2/24' } },
        ],
        nat: {
          masquerade: [{ source: '10.10.0.0/24', outInterface: 'eth0', exceptDestination: '10.244.0.0/16' }],
          portForwards: [{ protocol: 'tcp', port: 8080, to: '10.10.0.2:80', inInterface: 'eth0' }],
        },
        hosts: [{ ip: '192.168.2.11', names: ['node02'] }],
        resolv: { nameservers: ['192.168.1.1'], search: ['example.com'] },
      },
      {
        name: 'router',
        role: 'host',
        ssh: { host: '10.250.50.1' },
        interfaces: [
          { name: 'eth0', lan: 'lan1', addresses: ['192.168.1.1/24'] },
          { name: 'eth1', lan: 'lan2', addresses: ['192.168.2.1/24'] },
        ],
        sysctls: { 'net.ipv4.ip_forward': 1 },
      },
      {
        name: 'node02',
        ssh: { host: '10.250.50.12' },
        role: 'worker',
        interfaces: [{ name: 'eth0', lan: 'lan2', addresses: ['192.168.2.11/24'] }],
      },
    ],
    lab: { managementCidr: '10.250.50.0/24' },
  };
  if (base === 'flannel') {
    cluster.cni = {
      plugin: 'flannel',
      flannel: {
        version: 'v0.28.9',
        cniPluginVersion: 'v1.9.1-flannel3',
        network: '10.244.0.0/16',
        backend: { type: 'vxlan', vni: 1, port: 8472, directRouting: false },
        enableNFTables: false,
      },
    };
  }
  if (base === 'bridge' || base === 'slices' || base === 'auto') {
    // node02 has no podSubnet: it takes bridge.subnet, or (slices) the first free nodeCidrMaskSize slice.
    const bridge = base !== 'slices' ? { name: 'cni0', subnet: '10.244.128.0/17' } : { name: 'cni0' };
    cluster.cni = { plugin: 'bridge', bridge, installer: true, binDir: '/opt/cni/bin' };
  }
  if (base === 'conflist') {
    cluster.cni = {
      plugin: 'conflist',
      installer: true,
      conflist: {
        cniVersion: '1.0.0',
        cniVersions: ['1.0.0'],
        name: 'mynet',
        disableCheck: false,
        disableGC: false,
        plugins: [
          { type: 'bridge', bridge: 'cni0', isGateway: true, ipam: { type: 'host-local', subnet: '10.244.0.0/16' } },
        ],
        fileName: '10-mynet.conflist',
      },
    };
  }
  // netstrap writes the conflist of these two plugins onto the Kubernetes nodes.
  if (base === 'bridge' || base === 'conflist') cluster.nodes[0].cniConflists = true;
  if (base === 'slices') for (const i of [0, 2]) cluster.nodes[i].cniConflists = true;
  // Routes to every Kubernetes node's pod subnet (and the other LANs) derived from the topology.
  if (base === 'auto') cluster.routing = 'auto';
  if (base === 'corefile') {
    cluster.dns = { provider: 'coredns', corefile: corefile('/etc/resolv.conf') };
  }
  return cluster;
}

const MUTATIONS: Readonly<Record<string, Mutation>> = {
  // >>> synthesized
  // The cluster name is the chart's: its file, dist/<name>.k8s.yaml.
  name: { at: 'name', to: 'i11-other' },
  'network.podCidr': { at: 'network.podCidr', to: '10.244.0.0/15' },
  'network.serviceCidr': {
    at: 'network.serviceCidr',
    to: '10.80.0.0/12',
    unset: ['network.dnsServiceIp', 'kubernetes.services.0.clusterIP', 'kubernetes.services.0.clusterIPs'],
  },
  'network.clusterDomain': { at: 'network.clusterDomain', to: 'corp.local' },
  'network.dnsServiceIp': { at: 'network.dnsServiceIp', to: '10.96.0.11' },
  // The Weave settings go with the plugin (a cni.weave without cni.plugin weave is refused).
  'cni.plugin': { at: 'cni', to: { plugin: 'none' } },
  'cni.weave.version': { at: 'cni.weave.version', to: '2.8.0' },
  'cni.weave.ipallocRange': { at: 'cni.weave.ipallocRange', to: '10.244.128.0/17' },
  'cni.weave.mtu': { at: 'cni.weave.mtu', to: 1400 },
  'cni.weave.connLimit': { at: 'cni.weave.connLimit', to: 50 },
  'cni.weave.passwordSecret.name': { at: 'cni.weave.passwordSecret.name', to: 'other' },
  'cni.weave.passwordSecret.key': { at: 'cni.weave.passwordSecret.key', to: 'other' },
  'cni.weave.npcArgs[]': { at: 'cni.weave.npcArgs.0', to: '--log-level=debug' },
  'cni.weave.env': { at: 'cni.weave.env', to: { NO_MASQ_LOCAL: '1' } },
  'cni.flannel.version': { at: 'cni.flannel.version', to: 'v0.28.8', base: 'flannel' },
  'cni.flannel.cniPluginVersion': { at: 'cni.flannel.cniPluginVersion', to: 'v1.9.0-flannel1', base: 'flannel' },
  'cni.flannel.network': { at: 'cni.flannel.network', to: '10.244.0.0/17', base: 'flannel' },
  'cni.flannel.backend': { at: 'cni.flannel.backend', to: { type: 'host-gw' }, base: 'flannel' },
  'cni.flannel.enableNFTables': { at: 'cni.flannel.enableNFTables', to: true, base: 'flannel' },
  'cni.bridge.name': { at: 'cni.bridge.name', to: 'cbr1', base: 'bridge' },
  'cni.bridge.subnet': { at: 'cni.bridge.subnet', to: '10.244.64.0/18', base: 'bridge' },
  'cni.conflist.cniVersion': { at: 'cni.conflist.cniVersion', to: '0.4.0', base: 'conflist' },
  'cni.conflist.cniVersions[]': { at: 'cni.conflist.cniVersions.0', to: '1.1.0', base: 'conflist' },
  'cni.conflist.name': { at: 'cni.conflist.name', to: 'other', base: 'conflist' },
  'cni.conflist.disableCheck': { at: 'cni.conflist.disableCheck', to: true, base: 'conflist' },
  'cni.conflist.disableGC': { at: 'cni.conflist.disableGC', to: true, base: 'conflist' },
  'cni.conflist.plugins[]': {
    at: 'cni.conflist.plugins.0',
    to: { type: 'bridge', bridge: 'cni1', isGateway: true, ipam: { type: 'host-local', subnet: '10.244.0.0/16' } },
    base: 'conflist',
  },
  'cni.conflist.fileName': { at: 'cni.conflist.fileName', to: '20-mynet.conflist', base: 'conflist' },
  'cni.installer': { at: 'cni.installer', to: false, base: 'bridge' },
  'kubeProxy.mode': { at: 'kubeProxy.mode', to: 'iptables' },
  'kubeProxy.strictArp': { at: 'kubeProxy.strictArp', to: true },
  'kubeProxy.controlPlaneEndpoint': { at: 'kubeProxy.controlPlaneEndpoint', to: 'https://192.168.1.12:6443' },
  'dns.provider': { at: 'dns.provider', to: 'none' },
  'dns.version': { at: 'dns.version', to: 'v1.11.1' },
  'dns.replicas': { at: 'dns.replicas', to: 3 },
  'dns.corefile': { at: 'dns.corefile', to: corefile('1.1.1.1'), base: 'corefile' },
  'dns.upstreams[]': { at: 'dns.upstreams.0', to: '8.8.8.8' },
  'dns.hosts[].ip': { at: 'dns.hosts.0.ip', to: '192.168.1.12' },
  'dns.hosts[].names[]': { at: 'dns.hosts.0.names.0', to: 'node09' },
  'dns.stubDomains': { at: 'dns.stubDomains', to: { 'corp.example': ['10.0.0.54'] } },
  'ingressController.provider': { at: 'ingressController.provider', to: 'none' },
  'ingressController.flavor': { at: 'ingressController.flavor', to: 'cloud' },
  'ingressController.version': { at: 'ingressController.version', to: '1.8.1' },
  'ingressController.replicas': { at: 'ingressController.replicas', to: 2 },
  'ingressController.defaultClass': { at: 'ingressController.defaultClass', to: true },
  'ingressController.serviceType': { at: 'ingressController.serviceType', to: 'LoadBalancer' },
  'ingressController.nodePorts.http': { at: 'ingressController.nodePorts.http', to: 30081 },
  'ingressController.nodePorts.https': { at: 'ingressController.nodePorts.https', to: 30444 },
  'ingressController.extraArgs': { at: 'ingressController.extraArgs', to: { 'enable-ssl-passthrough': 'false' } },
  'ingressController.config': { at: 'ingressController.config', to: { 'use-forwarded-headers': 'false' } },
  'kubernetes.namespaces[].name': { at: 'kubernetes.namespaces.0.name', to: 'apps2' },
  'kubernetes.namespaces[].labels': { at: 'kubernetes.namespaces.0.labels', to: { team: 'b' } },
  'kubernetes.services[].name': { at: 'kubernetes.services.2.name', to: 'lb2' },
  'kubernetes.services[].namespace': { at: 'kubernetes.services.1.namespace', to: 'apps' },
  'kubernetes.services[].labels': { at: 'kubernetes.services.0.labels', to: { tier: 'front' } },
  'kubernetes.services[].annotations': { at: 'kubernetes.services.0.annotations', to: { note: 'b' } },
  'kubernetes.services[].type': { at: 'kubernetes.services.0.type', to: 'LoadBalancer' },
  'kubernetes.services[].selector': { at: 'kubernetes.services.0.selector', to: { app: 'web2' } },
  'kubernetes.services[].clusterIP': {
    at: 'kubernetes.services.0.clusterIP',
    to: '10.96.0.51',
    unset: ['kubernetes.services.0.clusterIPs'],
  },
  'kubernetes.services[].clusterIPs[]': { at: 'kubernetes.services.0.clusterIPs', to: undefined },
  'kubernetes.services[].ipFamilyPolicy': { at: 'kubernetes.services.0.ipFamilyPolicy', to: 'PreferDualStack' },
  'kubernetes.services[].ipFamilies[]': { at: 'kubernetes.services.0.ipFamilies', to: undefined },
  'kubernetes.services[].externalName': { at: 'kubernetes.services.1.externalName', to: 'db2.example.com' },
  'kubernetes.services[].externalTrafficPolicy': { at: 'kubernetes.services.0.externalTrafficPolicy', to: 'Local' },
  'kubernetes.services[].loadBalancerIP': { at: 'kubernetes.services.2.loadBalancerIP', to: '192.168.5.6' },
  'kubernetes.services[].loadBalancerSourceRanges[]': {
    at: 'kubernetes.services.2.loadBalancerSourceRanges.0',
    to: '192.168.0.0/16',
  },
  'kubernetes.services[].sessionAffinity': { at: 'kubernetes.services.0.sessionAffinity', to: 'ClientIP' },
  'kubernetes.services[].ports[].name': { at: 'kubernetes.services.0.ports.0.name', to: 'web' },
  'kubernetes.services[].ports[].port': { at: 'kubernetes.services.2.ports.0.port', to: 8443 },
  'kubernetes.services[].ports[].targetPort': { at: 'kubernetes.services.0.ports.0.targetPort', to: 8081 },
  'kubernetes.services[].ports[].protocol': { at: 'kubernetes.services.0.ports.0.protocol', to: 'SCTP' },
  'kubernetes.services[].ports[].nodePort': { at: 'kubernetes.services.0.ports.0.nodePort', to: 30009 },
  'kubernetes.services[].ports[].appProtocol': { at: 'kubernetes.services.0.ports.0.appProtocol', to: 'https' },
  'kubernetes.ingresses[].name': { at: 'kubernetes.ingresses.0.name', to: 'web2' },
  'kubernetes.ingresses[].namespace': { at: 'kubernetes.ingresses.0.namespace', to: 'apps' },
  'kubernetes.ingresses[].labels': { at: 'kubernetes.ingresses.0.labels', to: { tier: 'front' } },
  'kubernetes.ingresses[].annotations': { at: 'kubernetes.ingresses.0.annotations', to: { note: 'b' } },
  'kubernetes.ingresses[].ingressClassName': { at: 'kubernetes.ingresses.0.ingressClassName', to: 'other' },
  'kubernetes.ingresses[].rewriteTarget': { at: 'kubernetes.ingresses.0.rewriteTarget', to: '/$1' },
  'kubernetes.ingresses[].defaultBackend.service': {
    at: 'kubernetes.ingresses.0.defaultBackend',
    to: { service: 'lb', port: 443 },
  },
  'kubernetes.ingresses[].defaultBackend.port': { at: 'kubernetes.ingresses.0.defaultBackend.port', to: 'http' },
  'kubernetes.ingresses[].tls[].hosts[]': { at: 'kubernetes.ingresses.0.tls.0.hosts.0', to: 'www.example.com' },
  'kubernetes.ingresses[].tls[].secretName': { at: 'kubernetes.ingresses.0.tls.0.secretName', to: 'web-tls2' },
  'kubernetes.ingresses[].tls[].certFile': { at: 'kubernetes.ingresses.0.tls.0.certFile', to: 'other.crt' },
  'kubernetes.ingresses[].tls[].keyFile': { at: 'kubernetes.ingresses.0.tls.0.keyFile', to: 'other.key' },
  'kubernetes.ingresses[].rules[].host': { at: 'kubernetes.ingresses.0.rules.0.host', to: 'www.example.com' },
  'kubernetes.ingresses[].rules[].paths[].path': { at: 'kubernetes.ingresses.0.rules.0.paths.0.path', to: '/app' },
  'kubernetes.ingresses[].rules[].paths[].pathType': {
    at: 'kubernetes.ingresses.0.rules.0.paths.0.pathType',
    to: 'Exact',
  },
  'kubernetes.ingresses[].rules[].paths[].backend.service': {
    at: 'kubernetes.ingresses.0.rules.0.paths.0.backend',
    to: { service: 'lb', port: 443 },
  },
  'kubernetes.ingresses[].rules[].paths[].backend.port': {
    at: 'kubernetes.ingresses.0.rules.0.paths.0.backend.port',
    to: 'http',
  },
  'kubernetes.networkPolicies[].name': { at: 'kubernetes.networkPolicies.0.name', to: 'db2' },
  'kubernetes.networkPolicies[].namespace': { at: 'kubernetes.networkPolicies.0.namespace', to: 'apps' },
  'kubernetes.networkPolicies[].labels': { at: 'kubernetes.networkPolicies.0.labels', to: { tier: 'x' } },
  'kubernetes.networkPolicies[].annotations': { at: 'kubernetes.networkPolicies.0.annotations', to: { note: 'b' } },
  // Both types stay (the policy has rules of each); their order is the value that changes.
  'kubernetes.networkPolicies[].policyTypes[]': {
    at: 'kubernetes.networkPolicies.0.policyTypes',
    to: ['Egress', 'Ingress'],
  },
};

// The selectors, peers and ports of a NetworkPolicy: the same change wherever the field sits.
const POLICY = 'kubernetes.networkPolicies[]';
function policyCases(field: string, at: string): Array<[string, Mutation]> {
  return [
    [`${field}.matchLabels`, { at: `${at}.matchLabels`, to: { other: 'y' } }],
    [`${field}.matchExpressions[].key`, { at: `${at}.matchExpressions.0.key`, to: 'tier2' }],
    [`${field}.matchExpressions[].operator`, { at: `${at}.matchExpressions.0.operator`, to: 'NotIn' }],
    [`${field}.matchExpressions[].values[]`, { at: `${at}.matchExpressions.0.values.0`, to: 'web' }],
  ];
}
const POLICY_CASES: Array<[string, Mutation]> = [
  ...policyCases(`${POLICY}.podSelector`, 'kubernetes.networkPolicies.0.podSelector'),
  ...(['ingress', 'egress'] as const).flatMap((direction): Array<[string, Mutation]> => {
    const peers = direction === 'ingress' ? 'from' : 'to';
    const field = `${POLICY}.${direction}[]`;
    const at = `kubernetes.networkPolicies.0.${direction}.0`;
    const cidr = direction === 'ingress' ? '172.17' : '172.18';
    return [
      [`${field}.${peers}[].ipBlock.cidr`, { at: `${at}.${peers}.0.ipBlock`, to: { cidr: '10.1.0.0/16' } }],
      [`${field}.${peers}[].ipBlock.except[]`, { at: `${at}.${peers}.0.ipBlock.except.0`, to: `${cidr}.2.0/24` }],
      ...policyCases(`${field}.${peers}[].namespaceSelector`, `${at}.${peers}.1.namespaceSelector`),
      ...policyCases(`${field}.${peers}[].podSelector`, `${at}.${peers}.1.podSelector`),
      [`${field}.ports[].protocol`, { at: `${at}.ports.0.protocol`, to: 'UDP' }],
      [`${field}.ports[].port`, { at: `${at}.ports.0.port`, to: 6380 }],
      [`${field}.ports[].endPort`, { at: `${at}.ports.0.endPort`, to: 6391 }],
    ];
  }),
];

const HOST_MUTATIONS: Readonly<Record<string, Mutation>> = {
  'network.nodeCidrMaskSize': { at: 'network.nodeCidrMaskSize', to: 25, base: 'slices' },
  routing: { at: 'routing', to: 'auto', base: 'bridge' },
  'cni.binDir': { at: 'cni.binDir', to: '/usr/lib/cni', base: 'bridge' },
  'nodes[].role': { at: 'nodes.2.role', to: 'host', base: 'auto' },
  'nodes[].podSubnet': { at: 'nodes.0.podSubnet', to: '10.244.9.0/24', base: 'bridge' },
  'nodes[].interfaces[].name': { at: 'nodes.1.interfaces.1.name', to: 'eth2' },
  'nodes[].interfaces[].addresses[]': { at: 'nodes.0.interfaces.0.addresses.0', to: '192.168.1.21/24' },
  'nodes[].interfaces[].mtu': { at: 'nodes.0.interfaces.0.mtu', to: 9000 },
  'nodes[].sysctls': { at: 'nodes.0.sysctls', to: { 'net.ipv4.conf.all.rp_filter': 2, 'net.ipv4.ip_forward': 1 } },
  'nodes[].kubernetesPrerequisites': { at: 'nodes.0.kubernetesPrerequisites', to: false },
  'nodes[].routes[].to': { at: 'nodes.0.routes.0.to', to: '192.168.4.0/24' },
  'nodes[].routes[].via': { at: 'nodes.0.routes.0.via', to: '192.168.1.2' },
  'nodes[].routes[].dev': { at: 'nodes.0.routes.0.dev', to: undefined },
  'nodes[].routes[].metric': { at: 'nodes.0.routes.0.metric', to: 200 },
  'nodes[].bridges[].name': { at: 'nodes.0.bridges.2.name', to: 'br8' },
  'nodes[].bridges[].addresses[]': { at: 'nodes.0.bridges.2.addresses.0', to: '10.30.0.2/24' },
  'nodes[].namespaces[].name': { at: 'nodes.0.namespaces.0.name', to: 'ns3' },
  'nodes[].namespaces[].veth.name': { at: 'nodes.0.namespaces.0.veth.name', to: 'eth1' },
  'nodes[].namespaces[].veth.hostSide': { at: 'nodes.0.namespaces.0.veth.hostSide', to: 'veth-ns3' },
  'nodes[].namespaces[].veth.bridge': { at: 'nodes.0.namespaces.1.veth.bridge', to: undefined },
  'nodes[].namespaces[].veth.address': { at: 'nodes.0.namespaces.0.veth.address', to: '10.10.0.3/24' },
  'nodes[].namespaces[].defaultRoute': { at: 'nodes.0.namespaces.0.defaultRoute', to: undefined },
  'nodes[].nat.masquerade[].source': { at: 'nodes.0.nat.masquerade.0.source', to: '10.11.0.0/24' },
  'nodes[].nat.masquerade[].outInterface': { at: 'nodes.0.nat.masquerade.0.outInterface', to: 'br0' },
  'nodes[].nat.masquerade[].exceptDestination': {
    at: 'nodes.0.nat.masquerade.0.exceptDestination',
    to: '10.96.0.0/12',
  },
  'nodes[].nat.portForwards[].protocol': { at: 'nodes.0.nat.portForwards.0.protocol', to: 'udp' },
  'nodes[].nat.portForwards[].port': { at: 'nodes.0.nat.portForwards.0.port', to: 8081 },
  'nodes[].nat.portForwards[].to': { at: 'nodes.0.nat.portForwards.0.to', to: '10.10.0.2:81' },
  'nodes[].nat.portForwards[].inInterface': { at: 'nodes.0.nat.portForwards.0.inInterface', to: 'br0' },
  'nodes[].hosts[].ip': { at: 'nodes.0.hosts.0.ip', to: '192.168.2.12' },
  'nodes[].hosts[].names[]': { at: 'nodes.0.hosts.0.names.0', to: 'node09' },
  'nodes[].resolv.nameservers[]': { at: 'nodes.0.resolv.nameservers.0', to: '192.168.1.2' },
  'nodes[].resolv.search[]': { at: 'nodes.0.resolv.search.0', to: 'corp.example' },
  'nodes[].cniConflists': { at: 'nodes.0.cniConflists', to: false, base: 'bridge' },
};

let certDir: string;
beforeAll(() => {
  // Real certificates, as the user would have: two pairs, so a certFile/keyFile change is a change of content.
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-i11-fields-'));
  for (const name of ['tls', 'other']) {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1']
        .concat(['-subj', `/CN=${name}.example.com`, '-keyout', path.join(certDir, `${name}.key`)])
        .concat(['-out', path.join(certDir, `${name}.crt`)]),
      { stdio: 'ignore' },
    );
  }
});
afterAll(() => fs.rmSync(certDir, { recursive: true, force: true }));

/** The field a concrete path names: `nodes.0.routes.0.to` → `nodes[].routes[].to`. */
function fieldOf(at: string): string {
  return at.replace(/\.\d+(?=\.|$)/g, '[]');
}

/** Sets (or, to undefined, deletes) the field at `at`; returns what was there. */
function put(cluster: any, at: string, to: unknown): unknown {
  const keys = at.split('.');
  let holder = cluster;
  for (const key of keys.slice(0, -1)) holder = holder[key];
  const last = keys[keys.length - 1];
  const was = holder[last];
  if (to === undefined) delete holder[last];
  else holder[last] = to;
  return was;
}

function unmutated(mutation: Mutation): any {
  const cluster = sample(mutation.base ?? 'weave');
  for (const at of mutation.unset ?? []) put(cluster, at, undefined);
  return cluster;
}

function mutated(mutation: Mutation): any {
  const cluster = unmutated(mutation);
  const was = put(cluster, mutation.at, mutation.to);
  expect(was).toBeDefined();
  expect(was).not.toEqual(mutation.to);
  return cluster;
}

/**
 * The synthesized manifests and the nodes' host plans of a cluster file: per node, what every resource kind reads
 * (its fact commands, the one round trip) and the changes it makes from empty facts.
 */
function outputs(cluster: unknown): { manifests: string; hosts: string } {
  const model = checkCluster(cluster, 'i11-shape.yaml', certDir);
  const chart = new ClusterChart(Testing.app(), model.cluster.name, { model });
  // The chart's id names its file (<outdir>/<id>.k8s.yaml).
  const manifests = JSON.stringify([`${chart.node.id}.k8s.yaml`, Testing.synth(chart)]);
  const plans = effectiveNodes(model.cluster).map((node) => [
    node.name,
    resourceKinds.map((kind) => factCommands(kind, node, model.cluster)),
    planNode(node, model.cluster, resourceKinds, new FactSet({})),
  ]);
  return { manifests, hosts: JSON.stringify(plans) };
}

const baseline = new Map<string, { manifests: string; hosts: string }>();
function before(mutation: Mutation) {
  const key = JSON.stringify([mutation.base, mutation.unset]);
  if (!baseline.has(key)) baseline.set(key, outputs(unmutated(mutation)));
  return baseline.get(key)!;
}

const SYNTH_CASES = new Map<string, Mutation>([...Object.entries(MUTATIONS), ...POLICY_CASES]);

test('every listed field has exactly one mutation case, changing that field', () => {
  expect(SYNTHESIZED.filter((field) => !SYNTH_CASES.has(field))).toEqual([]);
  expect([...SYNTH_CASES.keys()].filter((field) => !SYNTHESIZED.includes(field))).toEqual([]);
  expect(PROVISIONED.filter((field) => !(field in HOST_MUTATIONS))).toEqual([]);
  expect(Object.keys(HOST_MUTATIONS).filter((field) => !PROVISIONED.includes(field))).toEqual([]);
  // A case changes its own field, or (for a field that must stay valid with another) the object holding it.
  for (const [field, mutation] of [...SYNTH_CASES, ...Object.entries(HOST_MUTATIONS)]) {
    const at = fieldOf(mutation.at);
    expect([field, at]).toEqual([field, field.startsWith(at) ? at : field]);
  }
  expect(SYNTH_CASES.size + Object.keys(HOST_MUTATIONS).length).toBe(SYNTHESIZED.length + PROVISIONED.length);
});

test.each([...SYNTH_CASES])('%s reaches the synthesized manifests', (_field, mutation) => {
  expect(outputs(mutated(mutation)).manifests).not.toEqual(before(mutation).manifests);
});

test.each(Object.entries(HOST_MUTATIONS))('%s reaches the host plan', (_field, mutation) => {
  expect(outputs(mutated(mutation)).hosts).not.toEqual(before(mutation).hosts);
});
