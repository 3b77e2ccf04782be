/**
 * Flannel: the pod network as upstream's kube-flannel.yml (v0.28.9): Namespace kube-flannel (privileged pod
 * security, as flanneld needs NET_ADMIN on the host network), RBAC, the kube-flannel-cfg ConfigMap (cni-conf.json,
 * net-conf.json) and the kube-flannel-ds DaemonSet. With default props the objects equal the upstream file field for
 * field (test/constructs/flannel.test.ts). Flannel enforces no NetworkPolicy.
 */
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { cidrText } from '../src/model/cidr';
import { throwIfAny } from '../src/model/errors';
import { ClusterNetwork } from './cluster-network';

export {
  type FlannelProps,
  type FlannelBackend,
  type FlannelVxlanBackend,
  type FlannelHostGwBackend,
  type FlannelWireguardBackend,
  checkFlannelProps,
} from '../src/model/checks/flannel';
export { FLANNEL_DEFAULTS, FLANNEL_CNI_FILE, flannelConflist, flannelNetConf } from '../src/model/flannel-files';
import { ENFORCES_NO_POLICIES_METADATA } from './warnings';
import { FlannelProps, checkFlannelProps } from '../src/model/checks/flannel';
import {
  FLANNEL_CNI_FILE,
  FLANNEL_DEFAULTS,
  flannelConflist,
  flannelJson,
  flannelNetConf,
} from '../src/model/flannel-files';

const NAMESPACE = 'kube-flannel';
const APP = { 'k8s-app': 'flannel' };

export class Flannel extends Construct {
  readonly daemonSet: k8s.KubeDaemonSet;
  /** net-conf.json `Network` in effect. */
  readonly network: string;

  constructor(scope: Construct, id: string, props: FlannelProps = {}) {
    super(scope, id);
    const layout = ClusterNetwork.find(this)?.layout;
    throwIfAny(`Flannel ${JSON.stringify(this.node.path)}`, checkFlannelProps(props, layout));
    // Flannel enforces no NetworkPolicy: warningsOf() warns when the tree has any (constructs/warnings.ts).
    this.node.addMetadata(ENFORCES_NO_POLICIES_METADATA, 'Flannel');
    const version = props.version ?? FLANNEL_DEFAULTS.version;
    const image = `ghcr.io/flannel-io/flannel:${version}`;
    const ipv6Network = layout?.podCidrs.find((range) => range.family === 6)?.text;
    const netConf = flannelNetConf(props, layout ? cidrText(layout.podCidr) : undefined, ipv6Network);
    this.network = netConf.Network as string;
    // cni-conf.json keeps upstream's key order (name before cniVersion); install-cni copies it byte for byte.
    const { name, cniVersion, plugins } = flannelConflist();

    new k8s.KubeNamespace(this, 'namespace', {
      metadata: { name: NAMESPACE, labels: { ...APP, 'pod-security.kubernetes.io/enforce': 'privileged' } },
    });
    new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: { labels: APP, name: 'flannel' },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
        // flanneld records its subnet lease and public IP in the Node's annotations.
        { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: { labels: APP, name: 'flannel' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'flannel' },
      subjects: [{ kind: 'ServiceAccount', name: 'flannel', namespace: NAMESPACE }],
    });
    new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { labels: APP, name: 'flannel', namespace: NAMESPACE },
    });
    new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: 'kube-flannel-cfg', namespace: NAMESPACE, labels: { tier: 'node', ...APP, app: 'flannel' } },
      data: { 'cni-conf.json': flannelJson({ name, cniVersion, plugins }), 'net-conf.json': flannelJson(netConf) },
    });

    const hostPath = (volume: string, path: string, type?: string): k8s.Volume => ({
      name: volume,
      hostPath: type ? { path, type } : { path },
    });
    this.daemonSet = new k8s.KubeDaemonSet(this, 'daemon-set', {
      metadata: { name: 'kube-flannel-ds', namespace: NAMESPACE, labels: { tier: 'node', app: 'flannel', ...APP } },
      spec: {
        selector: { matchLabels: { app: 'flannel' } },
        template: {
          metadata: { labels: { tier: 'node', app: 'flannel' } },
          spec: {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] },
                  ],
                },
              },
            },
            hostNetwork: true,
            priorityClassName: 'system-node-critical',
            // Every node, tainted or not: without the pod network no pod there gets an address.
            tolerations: [{ operator: 'Exists', effect: 'NoSchedule' }],
            serviceAccountName: 'flannel',
            initContainers: [
              {
                name: 'install-cni-plugin',
                image: `ghcr.io/flannel-io/flannel-cni-plugin:${props.cniPluginVersion ?? FLANNEL_DEFAULTS.cniPluginVersion}`,
                command: ['cp'],
                args: ['-f', '/flannel', '/opt/cni/bin/flannel'],
                volumeMounts: [{ name: 'cni-plugin', mountPath: '/opt/cni/bin' }],
              },
              {
                name: 'install-cni',
                image,
                command: ['/opt/bin/install-conf'],
                args: ['/etc/kube-flannel/cni-conf.json', `/etc/cni/net.d/${FLANNEL_CNI_FILE}`],
                volumeMounts: [
                  { name: 'cni', mountPath: '/etc/cni/net.d' },
                  { name: 'flannel-cfg', mountPath: '/etc/kube-flannel/' },
                ],
              },
            ],
            containers: [
              {
                name: 'kube-flannel',
                image,
                command: ['/opt/bin/flanneld'],
                // --kube-subnet-mgr: each node's subnet comes from its Node object's spec.podCIDR.
                args: ['--ip-masq', '--kube-subnet-mgr', '--healthz-port=8081'],
                ports: [{ name: 'healthz', containerPort: 8081, protocol: 'TCP' }],
                livenessProbe: {
                  httpGet: { path: '/healthz', port: k8s.IntOrString.fromString('healthz') },
                  initialDelaySeconds: 10,
                  periodSeconds: 30,
                },
                readinessProbe: {
                  httpGet: { path: '/readyz', port: k8s.IntOrString.fromString('healthz') },
                  initialDelaySeconds: 5,
                  periodSeconds: 10,
                },
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('50Mi') },
                },
                securityContext: { privileged: false, capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                  { name: 'EVENT_QUEUE_DEPTH', value: '5000' },
                  { name: 'CONT_WHEN_CACHE_NOT_READY', value: 'false' },
                ],
                volumeMounts: [
                  { name: 'run', mountPath: '/run/flannel' },
                  { name: 'flannel-cfg', mountPath: '/etc/kube-flannel/' },
                  { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
                ],
              },
            ],
            volumes: [
              hostPath('run', '/run/flannel'),
              hostPath('cni-plugin', '/opt/cni/bin'),
              hostPath('cni', '/etc/cni/net.d'),
              { name: 'flannel-cfg', configMap: { name: 'kube-flannel-cfg' } },
              // Shared with kube-proxy so that iptables-restore calls do not interleave.
              hostPath('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
            ],
          },
        },
      },
    });
  }
}
