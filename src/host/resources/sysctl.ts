/**
 * sysctl: kernel parameters such as net.ipv4.ip_forward, set at runtime (`sysctl -w`) and persisted in one managed
 * file, /etc/sysctl.d/90-netstrap.conf (read at boot by systemd-sysctl / procps).
 *
 * The opt-in Kubernetes node-prerequisites profile (node.kubernetesPrerequisites) adds what kubeadm's "install"
 * page and Kubespray set up: br_netfilter loaded now and at boot (/etc/modules-load.d/netstrap-k8s.conf), and
 * net.bridge.bridge-nf-call-iptables, net.bridge.bridge-nf-call-ip6tables and net.ipv4.ip_forward set to 1, and in a
 * cluster with an IPv6 pod range net.ipv6.conf.all.forwarding = 1 too (kubeadm's dual-stack prerequisites). Per
 * interface IPv6 keys (net.ipv6.conf.<if>.forwarding, accept_ra) are the node's own `sysctls`, set like any other.
 * br_netfilter counts as loaded when /sys/module/br_netfilter or its sysctls exist (a built-in module has no
 * /sys/module entry). Kernel modules are global to the machine: when br_netfilter is not loaded and /lib/modules has
 * no tree for the running kernel (containers, some labs), `modprobe` cannot work; warnings() says so before it fails.
 *
 * Revert restores the previous runtime value of each key, the previous bytes of the managed files (or their
 * absence), and unloads br_netfilter only if this run loaded it. Every key netstrap sets is owned with its value
 * before (prior) and the value set (spec): a key dropped from the cluster file goes back to its prior value.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import { type Fact, type FactSet, fact } from '../fact';
import type { Change, Drift, OwnedObject, ResourceKind } from '../types';
import type { OwnedIds } from '../owned-ids';
import { type FileId, fileFact, fileIds, ownedFileChanges, readFileFact } from './file-facts';

export const SYSCTL_FILE = '/etc/sysctl.d/90-netstrap.conf';
export const MODULES_FILE = '/etc/modules-load.d/netstrap-k8s.conf';
const MODULE = 'br_netfilter';

/** The kernel settings the Kubernetes prerequisites profile asks for. */
export const KUBERNETES_SYSCTLS: Readonly<Record<string, string>> = {
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.bridge.bridge-nf-call-ip6tables': '1',
  'net.ipv4.ip_forward': '1',
};

/** What the sysctl kind owns: a kernel setting, the kernel module it loaded, one of its two files. */
export type SysctlId =
  | { readonly part: 'key'; readonly key: string }
  | { readonly part: 'module'; readonly module: string }
  | FileId;

export const sysctlIds: OwnedIds<SysctlId> = {
  key: (id) => (id.part === 'key' ? id.key : id.part === 'module' ? `kernel module ${id.module}` : fileIds.key(id)),
  read(key) {
    const module = /^kernel module (\S+)$/.exec(key);
    if (module) return { part: 'module', module: module[1] };
    return fileIds.read(key) ?? (/^\S+$/.test(key) ? { part: 'key', key } : undefined);
  },
};

/** An interface's accept_ra: set before any forwarding key (see below). */
const ACCEPT_RA_KEY = /^net\.ipv6\.conf\.[^.]+\.accept_ra$/;

/** What the profile adds in a cluster with an IPv6 pod range (kubeadm's dual-stack page: IPv6 forwarding on). */
export const KUBERNETES_IPV6_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv6.conf.all.forwarding': '1',
};

/** Whether the cluster has an IPv6 pod range (dual-stack or IPv6-only). */
function hasIpv6Pods(cluster: Cluster | undefined): boolean {
  const ranges: ReadonlyArray<string> =
    (cluster?.network as { podCidrs?: ReadonlyArray<string> } | undefined)?.podCidrs ?? [];
  return ranges.some((range) => range.includes(':'));
}

/**
 * Every key → value the node wants; its own sysctls win over the profile's. Interfaces' accept_ra keys come first,
 * in the order applied and in the file read at boot: writing 1 to an IPv6 forwarding key deletes at once the default
 * routes learnt from router advertisements on every interface whose accept_ra is not yet 2
 * (router-advertisements.ts).
 */
export function desiredSysctls(node: ClusterNode, cluster?: Cluster): Map<string, string> {
  const wanted = new Map<string, string>();
  if (node.kubernetesPrerequisites) {
    for (const [k, v] of Object.entries(KUBERNETES_SYSCTLS)) wanted.set(k, v);
    if (hasIpv6Pods(cluster)) for (const [k, v] of Object.entries(KUBERNETES_IPV6_SYSCTLS)) wanted.set(k, v);
  }
  for (const [k, v] of Object.entries(node.sysctls)) wanted.set(k, String(v));
  const acceptRa = [...wanted].filter(([k]) => ACCEPT_RA_KEY.test(k));
  if (acceptRa.length === 0) return wanted;
  return new Map([...acceptRa, ...[...wanted].filter(([k]) => !ACCEPT_RA_KEY.test(k))]);
}

/** Values compare by words: the kernel prints tabs (`4096\t131072\t6291456`) where users write spaces. */
function normalize(value: string): string {
  return value.trim().split(/\s+/).join(' ');
}

function persistedContent(wanted: Map<string, string>): string | undefined {
  if (wanted.size === 0) return undefined;
  const lines = [...wanted].map(([k, v]) => `${k} = ${v}`);
  return `# Managed by netstrap: edits are overwritten on the next bootstrap.\n${lines.join('\n')}\n`;
}

/**
 * `k = v` (sysctl's output; also `k=v`) per readable key; a key not printed, or printed as `k!`, is one the kernel
 * does not have (yet: net.bridge.* need br_netfilter).
 */
function parseValues(output: string): ReadonlyMap<string, string | undefined> {
  const values = new Map<string, string | undefined>();
  for (const line of output.split('\n')) {
    if (line.endsWith('!') && !line.includes('=')) values.set(line.slice(0, -1), undefined);
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq).trim(), line.slice(eq + 1));
  }
  return values;
}

/** The live values of the kernel settings `keys` (one process for every key). */
function sysctlValues(keys: ReadonlyArray<string>): Fact<ReadonlyMap<string, string | undefined>> {
  // `k = v` per key the kernel has (the others print only to stderr). Not the shell's `read`: /proc/sys answers a
  // read at a non-zero offset with end-of-file.
  return fact('sysctl-values', ['sysctl', ...keys], parseValues);
}

type ModuleState = 'loaded' | 'loadable' | 'unavailable';
const parseModuleState = (output: string): ModuleState => {
  const state = output.trim();
  return state === 'loaded' || state === 'loadable' ? state : 'unavailable';
};
const moduleStateFact: Fact<ModuleState> = fact(
  `kernel-module-${MODULE}`,
  [
    'sh',
    '-c',
    // Built into the kernel, br_netfilter has no /sys/module entry; its sysctls show it is there all the same.
    `if [ -d /sys/module/${MODULE} ] || [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then echo loaded; elif [ -d "/lib/modules/$(uname -r)" ]; then echo loadable; else echo unavailable; fi`,
  ],
  parseModuleState,
);
const moduleState = (facts: FactSet): ModuleState => facts.get(moduleStateFact);
/** The node's wanted keys' live values (none read when it wants none). */
const liveValues = (node: ClusterNode, facts: FactSet, cluster?: Cluster) => {
  const keys = [...desiredSysctls(node, cluster).keys()];
  return keys.length > 0 ? facts.get(sysctlValues(keys)) : new Map<string, string | undefined>();
};

export const sysctl: ResourceKind & { warnings(node: ClusterNode, facts: FactSet): string[] } = {
  kind: 'sysctl',
  ownedIds: sysctlIds,

  facts(node: ClusterNode, cluster: Cluster) {
    const keys = [...desiredSysctls(node, cluster).keys()];
    return [
      ...(keys.length > 0 ? [sysctlValues(keys)] : []),
      moduleStateFact,
      fileFact(SYSCTL_FILE),
      fileFact(MODULES_FILE),
    ];
  },

  plan(node: ClusterNode, facts: FactSet, cluster: Cluster, owned: ReadonlyArray<OwnedObject> = []): Change[] {
    const changes: Change[] = [];
    const wanted = desiredSysctls(node, cluster);
    const moduleId = sysctlIds.key({ part: 'module', module: MODULE });

    if (node.kubernetesPrerequisites) {
      if (moduleState(facts) !== 'loaded') {
        changes.push({
          kind: 'sysctl',
          target: moduleId,
          before: 'not loaded',
          after: 'loaded',
          apply: [{ argv: ['modprobe', MODULE] }],
          revert: [{ argv: ['modprobe', '-r', MODULE] }],
          owns: [{ kind: 'sysctl', id: moduleId, prior: 'not loaded' }],
        });
      }
    }
    const moduleEntry = owned.find((o) => o.id === moduleId);
    if (moduleEntry && !node.kubernetesPrerequisites) {
      // Still in use (a bridge with nf-call on, say), the module stays: modprobe -r then fails, which is harmless.
      changes.push({
        kind: 'sysctl',
        target: moduleId,
        before: moduleState(facts) === 'loaded' ? 'loaded' : 'not loaded',
        after: 'not loaded',
        apply:
          moduleState(facts) === 'loaded'
            ? [{ argv: ['sh', '-c', 'modprobe -r "$1" 2>/dev/null; true', 'sh', MODULE] }]
            : [],
        revert: [],
        releases: [moduleEntry],
      });
    }
    changes.push(
      ...ownedFileChanges(
        'sysctl',
        MODULES_FILE,
        readFileFact(facts, MODULES_FILE),
        node.kubernetesPrerequisites ? `# Managed by netstrap: Kubernetes node prerequisites.\n${MODULE}\n` : undefined,
        owned,
      ),
    );

    const current = liveValues(node, facts, cluster);
    for (const [key, value] of wanted) {
      const now = current.get(key);
      if (now !== undefined && normalize(now) === normalize(value)) continue;
      changes.push({
        kind: 'sysctl',
        target: key,
        before: now === undefined ? 'absent' : normalize(now),
        after: value,
        apply: [{ argv: ['sysctl', '-q', '-w', `${key}=${value}`] }],
        // An absent key appears with its module (br_netfilter); unloading the module (above) takes it away again.
        revert: now === undefined ? [] : [{ argv: ['sysctl', '-q', '-w', `${key}=${normalize(now)}`] }],
        owns: [
          {
            kind: 'sysctl',
            id: sysctlIds.key({ part: 'key', key }),
            prior: now === undefined ? null : normalize(now),
            spec: value,
          },
        ],
      });
    }
    for (const entry of owned) {
      const id = sysctlIds.read(entry.id);
      if (id?.part !== 'key' || wanted.has(id.key)) continue;
      const prior = typeof entry.prior === 'string' ? entry.prior : undefined;
      const set = typeof entry.spec === 'string' ? entry.spec : undefined;
      changes.push({
        kind: 'sysctl',
        target: id.key,
        before: set ?? 'set by netstrap',
        after: prior ?? 'as the kernel has it',
        apply: prior !== undefined ? [{ argv: ['sysctl', '-q', '-w', `${id.key}=${prior}`] }] : [],
        revert: set !== undefined ? [{ argv: ['sysctl', '-q', '-w', `${id.key}=${set}`] }] : [],
        releases: [entry],
      });
    }

    changes.push(
      ...ownedFileChanges('sysctl', SYSCTL_FILE, readFileFact(facts, SYSCTL_FILE), persistedContent(wanted), owned),
    );
    return changes;
  },

  /** Live ≠ boot: a wanted key whose live value and the value in the file on disk (read at boot) disagree. */
  drift(node: ClusterNode, facts: FactSet, cluster: Cluster): Drift[] {
    const file = readFileFact(facts, SYSCTL_FILE).content;
    if (file === undefined) return [];
    const atBoot = new Map<string, string>();
    for (const line of file.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0 && !line.trimStart().startsWith('#'))
        atBoot.set(line.slice(0, eq).trim(), normalize(line.slice(eq + 1)));
    }
    const current = liveValues(node, facts, cluster);
    const drift: Drift[] = [];
    for (const [key, value] of desiredSysctls(node, cluster)) {
      const now = current.get(key);
      const live = now !== undefined && normalize(now) === normalize(value);
      const inBoot = atBoot.get(key) === normalize(value);
      if (live && !inBoot) {
        drift.push({
          kind: 'sysctl',
          target: key,
          message: `sysctl ${key} = ${value} is live but would not come back after reboot (not in ${SYSCTL_FILE})`,
        });
      } else if (!live && inBoot) {
        drift.push({
          kind: 'sysctl',
          target: key,
          message: `sysctl ${key} = ${value} is in ${SYSCTL_FILE} but not live (live: ${now === undefined ? 'absent' : normalize(now)})`,
        });
      }
    }
    return drift;
  },

  warnings(node: ClusterNode, facts: FactSet): string[] {
    if (!node.kubernetesPrerequisites || moduleState(facts) !== 'unavailable') return [];
    return [
      `${node.name}: kernel module ${MODULE} is not loaded and /lib/modules has no tree for the running kernel: ` +
        `\`modprobe ${MODULE}\` will fail (load it on the machine that owns the kernel, or install its modules)`,
    ];
  },
};
