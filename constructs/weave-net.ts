/**
 * Weave Net: the CNI plugin and NetworkPolicy controller (weave-kube + weave-npc) as the upstream DaemonSet.
 *
 * With default props the six objects equal Weave's published manifest `weave-daemonset-k8s.yaml` v2.8.1 field for
 * field (see test/constructs/weave-net.test.ts); the props add what the upstream cloud generator used to add:
 * env entries on the `weave` container and args on `weave-npc`.
 */
import { ApiObjectMetadata } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { cidrText } from '../src/model/cidr';
import { CniConfig, CniPlugin } from './cni-config';
import { ClusterNetwork } from './cluster-network';

// The checks and plain types live in src/model/checks/weave-net.ts (no cdk8s, so validating a cluster file stays
// light); re-exported here so the construct's API is unchanged.
export {
  type WeavePasswordSecret,
  type WeaveNetProps,
  WEAVE_RESERVED_ENV,
  checkWeaveProps,
} from '../src/model/checks/weave-net';
import { WeaveNetProps, checkWeaveProps } from '../src/model/checks/weave-net';
import { assertProps, weaveNetPropsSchema } from '../src/model/props';

const NAME = 'weave-net';
const NAMESPACE = 'kube-system';
const LABELS = { name: NAME };
const DEFAULT_VERSION = '2.8.1';

/** The env var of the node name, which weave and weave-npc both read. */
const HOSTNAME_ENV: k8s.EnvVar = {
  name: 'HOSTNAME',
  valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } },
};
const XTABLES_LOCK: k8s.VolumeMount = { name: 'xtables-lock', mountPath: '/run/xtables.lock', readOnly: false };

/**
 * Weave Net as a DaemonSet in kube-system, with its ServiceAccount and RBAC.
 *
 * When a {@link ClusterNetwork} is in scope, IPALLOC_RANGE defaults to its podCidr and an explicit one must lie
 * inside it. Invalid props throw an InputError naming each field and value.
 */
export class WeaveNet extends Construct {
  /**
   * The CNI network configuration weave-kube's init container writes to `/etc/cni/net.d/10-weave.conflist`
   * (weave script v2.8.1, `create_cni_config`; HAIRPIN_MODE defaults to true). Weave writes it itself; this is
   * for checks and for host-side provisioning without the DaemonSet.
   */
  static conflist(hairpinMode = true): CniConfig {
    return new CniConfig({
      name: 'weave',
      cniVersion: '0.3.0',
      plugins: [CniPlugin.weaveNet({ hairpinMode }), CniPlugin.portmap({ snat: true })],
    });
  }

  readonly daemonSet: k8s.KubeDaemonSet;
  /** The IPALLOC_RANGE in effect, if any. */
  readonly ipallocRange?: string;

  constructor(scope: Construct, id: string, props: WeaveNetProps = {}) {
    super(scope, id);
    const layout = ClusterNetwork.find(this)?.layout;
    assertProps(weaveNetPropsSchema, props, `WeaveNet ${JSON.stringify(this.node.path)}`, () =>
      checkWeaveProps(props, layout),
    );
    this.ipallocRange = props.ipallocRange ?? (layout ? cidrText(layout.podCidr) : undefined);

    const version = props.version ?? DEFAULT_VERSION;
    const kubeImage = props.kubeImage ?? `weaveworks/weave-kube:${version}`;
    const npcImage = props.npcImage ?? `weaveworks/weave-npc:${version}`;
    const metadata: ApiObjectMetadata = { name: NAME, labels: LABELS, namespace: NAMESPACE };
    const clusterMetadata: ApiObjectMetadata = { name: NAME, labels: LABELS };
    const subjects: k8s.Subject[] = [{ kind: 'ServiceAccount', name: NAME, namespace: NAMESPACE }];

    new k8s.KubeServiceAccount(this, 'service-account', { metadata });
    new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: clusterMetadata,
      rules: [
        { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['extensions'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch'] },
        // Weave marks the node NetworkUnavailable=false once its bridge is up.
        { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch', 'update'] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: clusterMetadata,
      roleRef: { kind: 'ClusterRole', name: NAME, apiGroup: 'rbac.authorization.k8s.io' },
      subjects,
    });
    new k8s.KubeRole(this, 'role', {
      metadata,
      rules: [
        // The IPAM ring is persisted in the weave-net ConfigMap.
        { apiGroups: [''], resources: ['configmaps'], resourceNames: [NAME], verbs: ['get', 'update'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'role-binding', {
      metadata,
      roleRef: { kind: 'Role', name: NAME, apiGroup: 'rbac.authorization.k8s.io' },
      subjects,
    });

    const hostPath = (name: string, path: string, type?: string): k8s.Volume => ({ name, hostPath: { path, type } });
    const privileged: k8s.SecurityContext = { privileged: true };
    const cpu50m = { requests: { cpu: k8s.Quantity.fromString('50m') } };

    this.daemonSet = new k8s.KubeDaemonSet(this, 'daemon-set', {
      metadata,
      spec: {
        selector: { matchLabels: LABELS },
        // Wait 5 seconds to let a pod connect before rolling the next one (upstream comment).
        minReadySeconds: 5,
        template: {
          metadata: { labels: LABELS },
          spec: {
            initContainers: [
              {
                name: 'weave-init',
                image: kubeImage,
                // Installs the CNI binaries and the 10-weave.conflist on the host.
                command: ['/home/weave/init.sh'],
                securityContext: privileged,
                volumeMounts: [
                  { name: 'cni-bin', mountPath: '/host/opt' },
                  { name: 'cni-bin2', mountPath: '/host/home' },
                  { name: 'cni-conf', mountPath: '/host/etc' },
                  { name: 'lib-modules', mountPath: '/lib/modules' },
                  XTABLES_LOCK,
                ],
              },
            ],
            containers: [
              {
                name: 'weave',
                command: ['/home/weave/launch.sh'],
                env: [{ name: 'INIT_CONTAINER', value: 'true' }, HOSTNAME_ENV, ...this.weaveEnv(props)],
                image: kubeImage,
                readinessProbe: {
                  httpGet: { host: '127.0.0.1', path: '/status', port: k8s.IntOrString.fromNumber(6784) },
                },
                resources: cpu50m,
                securityContext: privileged,
                volumeMounts: [
                  { name: 'weavedb', mountPath: '/weavedb' },
                  { name: 'dbus', mountPath: '/host/var/lib/dbus', readOnly: true },
                  { mountPath: '/host/etc/machine-id', name: 'cni-machine-id', readOnly: true },
                  XTABLES_LOCK,
                ],
              },
              {
                name: 'weave-npc',
                env: [HOSTNAME_ENV],
                image: npcImage,
                args: props.npcArgs && props.npcArgs.length > 0 ? [...props.npcArgs] : undefined,
                resources: cpu50m,
                securityContext: privileged,
                volumeMounts: [XTABLES_LOCK],
              },
            ],
            hostNetwork: true,
            dnsPolicy: 'ClusterFirstWithHostNet',
            hostPid: false,
            restartPolicy: 'Always',
            securityContext: { seLinuxOptions: {} },
            serviceAccountName: NAME,
            // Run on every node, tainted or not: without the CNI no pod on that node gets a network.
            tolerations: [
              { effect: 'NoSchedule', operator: 'Exists' },
              { effect: 'NoExecute', operator: 'Exists' },
            ],
            volumes: [
              hostPath('weavedb', '/var/lib/weave'),
              hostPath('cni-bin', '/opt'),
              hostPath('cni-bin2', '/home'),
              hostPath('cni-conf', '/etc'),
              hostPath('cni-machine-id', '/etc/machine-id'),
              hostPath('dbus', '/var/lib/dbus'),
              hostPath('lib-modules', '/lib/modules'),
              // Shared with kube-proxy so that iptables-restore calls do not interleave.
              hostPath('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
            ],
            priorityClassName: 'system-node-critical',
          },
        },
        updateStrategy: { type: 'RollingUpdate' },
      },
    });
  }

  /** The option env entries of the `weave` container, in a fixed order. */
  private weaveEnv(props: WeaveNetProps): k8s.EnvVar[] {
    const env: k8s.EnvVar[] = [];
    if (this.ipallocRange !== undefined) env.push({ name: 'IPALLOC_RANGE', value: this.ipallocRange });
    if (props.mtu !== undefined) env.push({ name: 'WEAVE_MTU', value: String(props.mtu) });
    if (props.connLimit !== undefined) env.push({ name: 'CONN_LIMIT', value: String(props.connLimit) });
    if (props.passwordSecret) {
      env.push({
        name: 'WEAVE_PASSWORD',
        valueFrom: {
          secretKeyRef: { name: props.passwordSecret.name, key: props.passwordSecret.key ?? 'weave-passwd' },
        },
      });
    }
    for (const [name, value] of Object.entries(props.env ?? {})) env.push({ name, value });
    return env;
  }
}
