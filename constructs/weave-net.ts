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
import { cidrText, parseNetwork } from '../src/model/cidr';
import { Issue, show, throwIfAny } from '../src/model/errors';
import { NetworkPlan } from '../src/model/plan';
import { CniConfig, CniPlugin } from './cni-config';
import { ClusterNetwork } from './cluster-network';

/** A key of a Kubernetes Secret holding the Weave password; the password itself never appears in a manifest. */
export interface WeavePasswordSecret {
  /** Secret name, in the namespace of the DaemonSet (kube-system). Required. */
  readonly name: string;
  /** Key inside the Secret. @default 'weave-passwd' */
  readonly key?: string;
}

/** Props of {@link WeaveNet}. */
export interface WeaveNetProps {
  /** Weave Net release; selects the image tags. @default '2.8.1' */
  readonly version?: string;
  /** Image of the weave and weave-init containers. @default `weaveworks/weave-kube:<version>` */
  readonly kubeImage?: string;
  /** Image of the weave-npc container. @default `weaveworks/weave-npc:<version>` */
  readonly npcImage?: string;
  /**
   * IPALLOC_RANGE: the range Weave allocates pod addresses from. Must lie inside the ClusterNetwork's podCidr.
   * @default - the podCidr of the ClusterNetwork in scope; without one, unset (Weave then uses 10.32.0.0/12)
   */
  readonly ipallocRange?: string;
  /** WEAVE_MTU: MTU of the Weave bridge and VXLAN/fastdp interfaces. @default - unset (Weave picks 1376) */
  readonly mtu?: number;
  /** CONN_LIMIT: maximum number of peer connections. @default - unset (Weave's default, 200) */
  readonly connLimit?: number;
  /**
   * WEAVE_PASSWORD from a Secret (env valueFrom secretKeyRef): encrypts traffic between peers. A literal password
   * is refused, so that it never lands in a manifest.
   * @default - no encryption
   */
  readonly passwordSecret?: WeavePasswordSecret;
  /** Extra args for weave-npc, e.g. `['--log-level=debug']`. @default - none */
  readonly npcArgs?: ReadonlyArray<string>;
  /**
   * Extra env entries for the `weave` container (e.g. `EXTRA_ARGS`, `NO_MASQ_LOCAL`). Names this construct sets
   * itself (see {@link WEAVE_RESERVED_ENV}) are refused: use the matching prop.
   * @default - none
   */
  readonly env?: Readonly<Record<string, string>>;
}

/** Env names the construct sets itself, with the prop that controls each. */
export const WEAVE_RESERVED_ENV: Readonly<Record<string, string>> = {
  INIT_CONTAINER: '(always "true")',
  HOSTNAME: '(always the node name)',
  IPALLOC_RANGE: 'ipallocRange',
  WEAVE_MTU: 'mtu',
  CONN_LIMIT: 'connLimit',
  WEAVE_PASSWORD: 'passwordSecret',
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const IMAGE_TAG = /^[0-9A-Za-z._-]+$/;
const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * Checks WeaveNet props (or the cluster file's `cni.weave`), against the plan when there is one. Paths are
 * relative to the props object; validateCluster prefixes them with `cni.weave`.
 */
export function checkWeaveProps(props: WeaveNetProps, plan?: NetworkPlan): Issue[] {
  const issues: Issue[] = [];
  if (props.version !== undefined && !IMAGE_TAG.test(props.version)) {
    issues.push({ path: ['version'], message: `version ${show(props.version)} is not an image tag` });
  }
  if (props.ipallocRange !== undefined) {
    const parsed = parseNetwork(props.ipallocRange);
    if (!parsed.ok) issues.push({ path: ['ipallocRange'], message: parsed.error });
    else if (plan && !parsed.value.inside(plan.podCidr)) {
      issues.push({
        path: ['ipallocRange'],
        message: `ipallocRange ${show(props.ipallocRange)} is outside podCidr ${cidrText(plan.podCidr)}: Weave would hand out pod addresses the rest of the cluster does not route as pods`,
      });
    }
  }
  if (props.mtu !== undefined && !(Number.isInteger(props.mtu) && props.mtu >= 576 && props.mtu <= 65535)) {
    issues.push({ path: ['mtu'], message: `mtu ${show(props.mtu)} must be a whole number 576-65535` });
  }
  if (props.connLimit !== undefined && !(Number.isInteger(props.connLimit) && props.connLimit >= 1)) {
    issues.push({ path: ['connLimit'], message: `connLimit ${show(props.connLimit)} must be a whole number of at least 1` });
  }
  const secret: unknown = props.passwordSecret;
  if (secret !== undefined) {
    if (typeof secret !== 'object' || secret === null) {
      // Do not echo a literal: it is probably the password itself.
      issues.push({ path: ['passwordSecret'], message: `a literal password (${typeof secret}) is refused: give a Secret reference {name, key}; the password must not appear in a manifest` });
    } else {
      const { name, key } = secret as WeavePasswordSecret;
      if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
        issues.push({ path: ['passwordSecret', 'name'], message: `Secret name ${show(name)} is not a DNS-1123 subdomain` });
      }
      if (key !== undefined && (typeof key !== 'string' || !SECRET_KEY.test(key))) {
        issues.push({ path: ['passwordSecret', 'key'], message: `Secret key ${show(key)} may only hold letters, digits, "-", "_" and "."` });
      }
    }
  }
  for (const [name, value] of Object.entries(props.env ?? {})) {
    if (name in WEAVE_RESERVED_ENV) {
      const hint = name === 'WEAVE_PASSWORD'
        ? 'a literal password is refused: use passwordSecret {name, key} so it comes from a Secret'
        : `it is set by the construct; use ${WEAVE_RESERVED_ENV[name]}`;
      issues.push({ path: ['env', name], message: `env ${show(name)} cannot be set here: ${hint}` });
    } else if (!ENV_NAME.test(name)) {
      issues.push({ path: ['env', name], message: `env name ${show(name)} is not a valid variable name` });
    } else if (typeof value !== 'string') {
      issues.push({ path: ['env', name], message: `env ${show(name)} value ${show(value)} must be a string` });
    }
  }
  (props.npcArgs ?? []).forEach((arg, i) => {
    if (typeof arg !== 'string' || arg.length === 0) issues.push({ path: ['npcArgs', i], message: `npc arg ${show(arg)} must be a non-empty string` });
  });
  return issues;
}

const NAME = 'weave-net';
const NAMESPACE = 'kube-system';
const LABELS = { name: NAME };
const DEFAULT_VERSION = '2.8.1';

/** The env var of the node name, which weave and weave-npc both read. */
const HOSTNAME_ENV: k8s.EnvVar = { name: 'HOSTNAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } };
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
    const plan = ClusterNetwork.find(this)?.plan;
    throwIfAny(`WeaveNet ${JSON.stringify(this.node.path)}`, checkWeaveProps(props, plan));
    this.ipallocRange = props.ipallocRange ?? (plan ? cidrText(plan.podCidr) : undefined);

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
            initContainers: [{
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
            }],
            containers: [
              {
                name: 'weave',
                command: ['/home/weave/launch.sh'],
                env: [{ name: 'INIT_CONTAINER', value: 'true' }, HOSTNAME_ENV, ...this.weaveEnv(props)],
                image: kubeImage,
                readinessProbe: { httpGet: { host: '127.0.0.1', path: '/status', port: k8s.IntOrString.fromNumber(6784) } },
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
            tolerations: [{ effect: 'NoSchedule', operator: 'Exists' }, { effect: 'NoExecute', operator: 'Exists' }],
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
        valueFrom: { secretKeyRef: { name: props.passwordSecret.name, key: props.passwordSecret.key ?? 'weave-passwd' } },
      });
    }
    for (const [name, value] of Object.entries(props.env ?? {})) env.push({ name, value });
    return env;
  }
}
