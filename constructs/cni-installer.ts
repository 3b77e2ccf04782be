/**
 * CniInstaller: ships a CniConfig to every node: a ConfigMap holding the file and a DaemonSet whose init container
 * copies it into the node's /etc/cni/net.d atomically (write a hidden temporary file, then rename it), after which
 * a pause container keeps the pod alive so that the DaemonSet stays Ready.
 *
 * Plain `k8s.Kube*` classes, not cdk8s-plus: the plus defaults (non-root user, read-only root file system, an
 * auto selector label) would stop a root container from writing a host directory.
 */
import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { InputError } from '../src/model/errors';
import { HOST_NAME } from '../src/model/schema';
import { CniConfig } from './cni-config';

/** Props of {@link CniInstaller}. */
export interface CniInstallerProps {
  /** The configuration written on every node (without one of its own in `perNode`). Required. */
  readonly config: CniConfig;
  /**
   * Node name (as Kubernetes knows it) → its own configuration, e.g. a bridge conflist over the node's podSubnet.
   * All must use the same file name as `config`.
   * @default - every node gets `config`
   */
  readonly perNode?: Readonly<Record<string, CniConfig>>;
  /** Namespace of the ConfigMap and DaemonSet. @default 'kube-system' */
  readonly namespace?: string;
  /** Name of the ConfigMap and DaemonSet (and the `app` label). @default 'cni-installer' */
  readonly name?: string;
  /** Image of the copying init container (needs sh, cp, mv). @default 'busybox:1.36.1' */
  readonly image?: string;
  /** Image of the container that keeps the pod running. @default 'registry.k8s.io/pause:3.9' */
  readonly pauseImage?: string;
  /** CNI configuration directory on the nodes. @default '/etc/cni/net.d' */
  readonly hostDirectory?: string;
}

/** ConfigMap key of the configuration for nodes without their own. */
export const CNI_DEFAULT_KEY = 'default';
/** ConfigMap key prefix of a node's own configuration: `node.<name>`. */
export const CNI_NODE_KEY_PREFIX = 'node.';

// The node's own file if there is one, else the default; written beside the target, then renamed over it, so a
// container runtime never reads half a file. `.` + name + `.tmp` does not end in .conf/.conflist/.json: ignored.
const INSTALL_SCRIPT = [
  'set -eu',
  `src="/cni-config/${CNI_DEFAULT_KEY}"`,
  `if [ -f "/cni-config/${CNI_NODE_KEY_PREFIX}$NODE_NAME" ]; then src="/cni-config/${CNI_NODE_KEY_PREFIX}$NODE_NAME"; fi`,
  'cp "$src" "/host-cni/.$CNI_FILE.tmp"',
  'mv -f "/host-cni/.$CNI_FILE.tmp" "/host-cni/$CNI_FILE"',
  'echo "installed $src as $CNI_FILE"',
].join('\n');

/** A ConfigMap and a DaemonSet that write a CNI configuration file on every node, tolerating every taint. */
export class CniInstaller extends Construct {
  readonly configMap: k8s.KubeConfigMap;
  readonly daemonSet: k8s.KubeDaemonSet;

  constructor(scope: Construct, id: string, props: CniInstallerProps) {
    super(scope, id);
    const name = props.name ?? 'cni-installer';
    const namespace = props.namespace ?? 'kube-system';
    const hostDirectory = props.hostDirectory ?? '/etc/cni/net.d';
    const { config } = props;

    const data: Record<string, string> = { [CNI_DEFAULT_KEY]: config.toJson() };
    const issues = [];
    for (const [node, own] of Object.entries(props.perNode ?? {})) {
      if (!HOST_NAME.test(node))
        issues.push({ path: ['perNode', node], message: `${JSON.stringify(node)} is not a node name` });
      if (own.fileName !== config.fileName) {
        issues.push({
          path: ['perNode', node, 'fileName'],
          message: `${JSON.stringify(own.fileName)} differs from ${JSON.stringify(config.fileName)}: every node must get the same file name`,
        });
      }
      data[`${CNI_NODE_KEY_PREFIX}${node}`] = own.toJson();
    }
    if (!/^\/([A-Za-z0-9_.-]+\/?)+$/.test(hostDirectory)) {
      issues.push({ path: ['hostDirectory'], message: `${JSON.stringify(hostDirectory)} is not an absolute path` });
    }
    if (issues.length > 0) throw new InputError(`CniInstaller ${JSON.stringify(this.node.path)}`, issues);

    const labels = { app: name };
    this.configMap = new k8s.KubeConfigMap(this, 'config', { metadata: { name, namespace, labels }, data });
    // A hash of the files on the pod template: changing the configuration rolls the DaemonSet, re-running the copy.
    const checksum = createHash('sha256').update(JSON.stringify(data)).digest('hex');

    this.daemonSet = new k8s.KubeDaemonSet(this, 'daemonset', {
      metadata: { name, namespace, labels },
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: k8s.IntOrString.fromString('100%') },
        },
        template: {
          metadata: { labels, annotations: { 'netstrap.io/cni-config-sha256': checksum } },
          spec: {
            // Host network: the pod must run before any pod network exists (it is what makes one).
            hostNetwork: true,
            priorityClassName: 'system-node-critical',
            tolerations: [{ operator: 'Exists' }],
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 0,
            initContainers: [
              {
                name: 'install',
                image: props.image ?? 'busybox:1.36.1',
                command: ['/bin/sh', '-c', INSTALL_SCRIPT],
                env: [
                  { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                  { name: 'CNI_FILE', value: config.fileName },
                ],
                securityContext: { runAsUser: 0, runAsNonRoot: false },
                volumeMounts: [
                  { name: 'cni-config', mountPath: '/cni-config', readOnly: true },
                  { name: 'host-cni', mountPath: '/host-cni' },
                ],
              },
            ],
            containers: [
              {
                name: 'pause',
                image: props.pauseImage ?? 'registry.k8s.io/pause:3.9',
                resources: { requests: { cpu: k8s.Quantity.fromString('1m'), memory: k8s.Quantity.fromString('4Mi') } },
              },
            ],
            volumes: [
              { name: 'cni-config', configMap: { name } },
              { name: 'host-cni', hostPath: { path: hostDirectory, type: 'DirectoryOrCreate' } },
            ],
          },
        },
      },
    });
  }
}
