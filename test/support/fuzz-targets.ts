/** The constructs the fuzz test builds from plain-JavaScript props, each with valid props to mutate. */
import { Chart } from 'cdk8s';
import { ClusterNetwork } from '../../constructs/cluster-network';
import { CniConfig, CniPlugin } from '../../constructs/cni-config';
import { CoreDns } from '../../constructs/core-dns';
import { Ingress } from '../../constructs/ingress';
import { IngressNginx } from '../../constructs/ingress-nginx';
import { KubeProxy } from '../../constructs/kube-proxy';
import { NetworkPolicy } from '../../constructs/network-policy';
import { Service } from '../../constructs/service';
import { WeaveNet } from '../../constructs/weave-net';
import type { ConstructTarget } from './fuzz';

const network = (chart: Chart) =>
  new ClusterNetwork(chart, 'network', { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' });
const conflist = {
  cniVersion: '1.0.0',
  name: 'mynet',
  plugins: [
    {
      type: 'bridge',
      bridge: 'cni0',
      isGateway: true,
      ipMasq: true,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: '10.244.1.0/24', gateway: '10.244.1.1' }]],
        routes: [{ dst: '0.0.0.0/0' }],
      },
    },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
};

export const CONSTRUCT_TARGETS: ReadonlyArray<ConstructTarget> = [
  {
    name: 'ClusterNetwork',
    props: {
      podCidr: '10.244.0.0/16',
      serviceCidr: '10.96.0.0/12',
      clusterDomain: 'cluster.local',
      dnsServiceIp: '10.96.0.10',
    },
    build: (chart, props) => new ClusterNetwork(chart, 'network', props),
  },
  {
    name: 'Service',
    props: {
      name: 'web',
      namespace: 'shop',
      labels: { app: 'web' },
      type: 'NodePort',
      selector: { app: 'web' },
      clusterIP: '10.96.0.20',
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080, appProtocol: 'http' }],
    },
    build: (chart, props) => {
      network(chart);
      new Service(chart, 'svc', props);
    },
  },
  {
    name: 'NetworkPolicy',
    props: {
      name: 'db',
      podSelector: { matchLabels: { role: 'db' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [
            { ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } },
            { podSelector: { matchLabels: { role: 'frontend' } } },
          ],
          ports: [{ protocol: 'TCP', port: 6379 }],
        },
      ],
      egress: [
        {
          to: [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['a'] }] } }],
          ports: [{ port: 5978, endPort: 5990 }],
        },
      ],
    },
    build: (chart, props) => new NetworkPolicy(chart, 'np', props),
  },
  {
    name: 'Ingress',
    props: {
      name: 'web',
      ingressClassName: 'nginx',
      rewriteTarget: '/',
      annotations: { 'example.com/a': 'b' },
      tls: [{ hosts: ['wear.my-site.com'], secretName: 'my-site-tls' }],
      rules: [
        {
          host: 'wear.my-site.com',
          paths: [{ path: '/', pathType: 'Prefix', backend: { service: 'wear', port: 8282 } }],
        },
      ],
    },
    build: (chart, props) => {
      new Service(chart, 'wear', { selector: { app: 'wear' }, ports: [{ port: 8282, targetPort: 8080 }] });
      new Ingress(chart, 'ing', props);
    },
  },
  {
    name: 'WeaveNet',
    props: {
      version: '2.8.1',
      mtu: 1376,
      connLimit: 100,
      passwordSecret: { name: 'weave-passwd', key: 'pw' },
      npcArgs: ['--log-level=info'],
      env: { EXTRA: 'x' },
    },
    build: (chart, props) => {
      network(chart);
      new WeaveNet(chart, 'weave', props);
    },
  },
  {
    name: 'CoreDns',
    props: {
      version: 'v1.10.1',
      replicas: 2,
      upstreams: ['1.1.1.1', 'tls://9.9.9.9'],
      hosts: [{ ip: '192.168.1.11', names: ['node01'] }],
      stubDomains: { 'corp.example.com': ['10.0.0.53'] },
    },
    build: (chart, props) => {
      network(chart);
      new CoreDns(chart, 'dns', props);
    },
  },
  {
    name: 'IngressNginx',
    props: {
      flavor: 'baremetal',
      replicas: 1,
      defaultClass: true,
      nodePorts: { http: 30080, https: 30443 },
      extraArgs: { 'enable-ssl-passthrough': 'true' },
      config: { 'use-forwarded-headers': 'true' },
    },
    build: (chart, props) => {
      network(chart);
      new IngressNginx(chart, 'nginx', props);
    },
  },
  {
    name: 'KubeProxy',
    props: { controlPlaneEndpoint: 'https://192.168.1.11:6443', mode: 'ipvs', strictArp: true, bindAddress: '0.0.0.0' },
    build: (chart, props) => {
      network(chart);
      new KubeProxy(chart, 'kp', props);
    },
  },
  {
    name: 'CniConfig.fromJson',
    props: conflist,
    build: (_chart, props) => {
      JSON.parse(CniConfig.fromJson(JSON.stringify(props)).toJson());
    },
  },
  {
    name: 'CniConfig',
    props: { name: 'mynet', cniVersion: '1.0.0', fileName: '10-mynet.conflist', plugins: conflist.plugins },
    build: (_chart, props) => {
      new CniConfig({
        ...props,
        plugins: Array.isArray(props?.plugins)
          ? props.plugins.map((p: any) => CniPlugin.fromObject(p))
          : props?.plugins,
      }).toJson();
    },
  },
];
