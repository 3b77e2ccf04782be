/**
 * What diagnose reads from a node, in the SAME one round trip as the provisioner's own facts (the sections of
 * every resource kind, so drift is planned by the provisioner's code from the same read). Every command is
 * read-only and prints nothing when the thing it reads is absent; values are passed as positional parameters,
 * never spliced into the snippets, and the whole script is rendered by src/host/shell.ts through facts.ts.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import type { RawFacts, ResourceKind } from '../types';
import { fileFact, FileFact, parseFileFact } from '../resources/file-facts';
import { IpState, ipFacts, ipState } from '../resources/ip-facts';
import { HOSTS_FILE } from '../resources/hosts';
import { RESOLV_FILE } from '../resources/resolv';
import { CNI_CONF_DIR } from '../resources/cni';

export const KUBE_APISERVER_MANIFEST = '/etc/kubernetes/manifests/kube-apiserver.yaml';
export const KUBE_CONTROLLER_MANAGER_MANIFEST = '/etc/kubernetes/manifests/kube-controller-manager.yaml';
export const KUBELET_CONFIG = '/var/lib/kubelet/config.yaml';
export const NSSWITCH_FILE = '/etc/nsswitch.conf';
export const ENVIRONMENT_FILE = '/etc/environment';
export const SWAPS_FILE = '/proc/swaps';

/** kubeadm's preflight binaries (conntrack, ip, iptables, mount, nsenter are errors there too). */
export const PREFLIGHT_BINARIES = ['ip', 'iptables', 'mount', 'nsenter', 'conntrack'] as const;
const SYSCTLS = ['net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables', 'net.netfilter.nf_conntrack_count', 'net.netfilter.nf_conntrack_max'];
const MODULES = ['br_netfilter', 'ip_vs', 'ip_vs_rr', 'nf_conntrack'];

// Snippets: constant code; $1.. are the values.
const SYSCTL_SNIPPET = 'for k; do v=$(sysctl -n "$k" 2>/dev/null) && printf "%s=%s\\n" "$k" "$v"; done; true';
// A built-in module has no /sys/module entry; br_netfilter's sysctls show it is there all the same.
const MODULE_SNIPPET = 'for m; do if [ -d "/sys/module/$m" ] || { [ "$m" = br_netfilter ] && [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; }; '
  + 'then echo "$m=loaded"; else echo "$m=absent"; fi; done';
// /proc/sys read-only (a container, the netstrap lab): kernel.*, vm.*, swap and modules belong to the machine.
const PROC_SYS_SNIPPET = 'awk \'$5 == "/proc/sys" { o = $6 } END { print o }\' /proc/self/mountinfo 2>/dev/null; true';
const LISTENERS_SNIPPET = 'ss -Htlnp 2>/dev/null; true';
const ETCD_SNIPPET = 'ss -Htn state established "( sport = :2379 )" 2>/dev/null | wc -l';
// Every candidate file of the CNI config dir (the extensions libcni reads), name and content in base64.
const CNI_CONF_SNIPPET = 'for f in "$1"/*; do case "$f" in *.conf|*.conflist|*.json) [ -f "$f" ] && { printf "%s " "${f##*/}"; base64 -w0 < "$f"; echo; };; esac; done; true';
const CNI_BIN_SNIPPET = 'for f in "$1"/*; do [ -f "$f" ] && [ -x "$f" ] && echo "${f##*/}"; done; true';
const KUBE_CHAINS_SNIPPET = 'iptables-save -t nat 2>/dev/null | grep -c "^:KUBE-SERVICES "; true';
// Root's PATH over ssh may lack the sbin directories; kubelet's (systemd's) has them.
const BINARIES_SNIPPET = 'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; for b; do if command -v "$b" >/dev/null 2>&1; then echo "$b=yes"; else echo "$b=no"; fi; done';
const HOSTNAME_SNIPPET = 'h=$(hostname 2>/dev/null); printf "name=%s\\n" "$h"; printf "resolves=%s\\n" "$(timeout 3 getent ahostsv4 "$h" 2>/dev/null | head -n 1)"';
const PROXY_SNIPPET = 'env | grep -i -E "^(https?|no)_proxy=" ; true';
const FIREWALLD_SNIPPET = 'grep -l -x firewalld /proc/[0-9]*/comm 2>/dev/null | head -n 1; true';

/** Section names diagnose adds (one word each; shared ones come from resources/ip-facts.ts and file-facts.ts). */
const S = {
  sysctl: 'diag-sysctl', modules: 'diag-modules', procSys: 'diag-proc-sys', listeners: 'diag-listeners', etcd: 'diag-etcd-connections',
  cniConf: 'diag-cni-conf', cniBin: 'diag-cni-bin', kubeChains: 'diag-kube-services', binaries: 'diag-binaries', hostname: 'diag-hostname',
  proxy: 'diag-proxy-env', firewalld: 'diag-firewalld',
} as const;

/** The fact commands of diagnose, as a resource kind with no plan, so facts.ts merges them with every other kind's. */
export const diagnoseReader: ResourceKind = {
  kind: 'diagnose',
  factCommands(_node: ClusterNode, cluster: Cluster) {
    const sh = (snippet: string, ...args: string[]) => ['sh', '-c', snippet, 'sh', ...args];
    return {
      ...ipFacts(),
      [S.sysctl]: sh(SYSCTL_SNIPPET, ...SYSCTLS),
      [S.modules]: sh(MODULE_SNIPPET, ...MODULES),
      [S.procSys]: sh(PROC_SYS_SNIPPET),
      [S.listeners]: sh(LISTENERS_SNIPPET),
      [S.etcd]: sh(ETCD_SNIPPET),
      [S.cniConf]: sh(CNI_CONF_SNIPPET, CNI_CONF_DIR),
      [S.cniBin]: sh(CNI_BIN_SNIPPET, cluster.cni.binDir),
      [S.kubeChains]: sh(KUBE_CHAINS_SNIPPET),
      [S.binaries]: sh(BINARIES_SNIPPET, ...PREFLIGHT_BINARIES),
      [S.hostname]: sh(HOSTNAME_SNIPPET),
      [S.proxy]: sh(PROXY_SNIPPET),
      [S.firewalld]: sh(FIREWALLD_SNIPPET),
      ...fileFact(HOSTS_FILE),
      ...fileFact(RESOLV_FILE),
      ...fileFact(NSSWITCH_FILE),
      ...fileFact(ENVIRONMENT_FILE),
      ...fileFact(SWAPS_FILE),
      ...fileFact(KUBE_APISERVER_MANIFEST),
      ...fileFact(KUBE_CONTROLLER_MANAGER_MANIFEST),
      ...fileFact(KUBELET_CONFIG),
    };
  },
  plan: () => [],
};

/** A TCP listener as `ss -tlnp` shows it. */
export interface Listener {
  readonly address: string;
  readonly port: number;
  /** Process names and pids holding the socket (empty when ss could not tell). */
  readonly processes: ReadonlyArray<{ readonly name: string; readonly pid: number }>;
}

/** One candidate file of /etc/cni/net.d. */
export interface CniConfFile {
  readonly name: string;
  readonly content: string;
}

/** Everything diagnose reads from a node, parsed. */
export interface NodeView {
  readonly ip: IpState;
  /** sysctl key → value (absent keys are missing). */
  readonly sysctls: ReadonlyMap<string, string>;
  readonly modules: ReadonlyMap<string, boolean>;
  /** The node shares its kernel with the machine it runs on and cannot change it (/proc/sys mounted read-only). */
  readonly sharedKernel: boolean;
  readonly listeners: ReadonlyArray<Listener>;
  readonly etcdConnections: number;
  /** Candidate CNI config files, sorted by name as libcni does (byte order). */
  readonly cniConf: ReadonlyArray<CniConfFile>;
  /** Executable files in cni.binDir. */
  readonly cniBin: ReadonlySet<string>;
  /** The nat table has a KUBE-SERVICES chain (kube-proxy's). */
  readonly kubeServicesChain: boolean;
  readonly binaries: ReadonlyMap<string, boolean>;
  readonly hostname: string;
  /** The first address the hostname resolves to, or '' when it does not resolve. */
  readonly hostnameResolves: string;
  /** NAME=value lines of the session's and /etc/environment's proxy variables. */
  readonly proxyEnv: ReadonlyArray<{ readonly name: string; readonly value: string; readonly source: string }>;
  readonly firewalldRunning: boolean;
  readonly files: {
    readonly hosts: FileFact; readonly resolv: FileFact; readonly nsswitch: FileFact; readonly swaps: FileFact;
    readonly apiserver: FileFact; readonly controllerManager: FileFact; readonly kubelet: FileFact;
  };
}

function lines(text: string | undefined): string[] {
  return (text ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

function keyValues(text: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of lines(text)) {
    const eq = line.indexOf('=');
    if (eq > 0) map.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return map;
}

/** `LISTEN 0 4096 192.168.1.11:6443 0.0.0.0:* users:(("kube-apiserver",pid=812,fd=7))` → a Listener. */
export function parseListeners(text: string | undefined): Listener[] {
  const found: Listener[] = [];
  for (const line of lines(text)) {
    const words = line.split(/\s+/);
    const local = words[3];
    const port = Number(local?.slice(local.lastIndexOf(':') + 1));
    if (!local || !Number.isInteger(port)) continue;
    const processes = [...line.matchAll(/\("([^"]*)",pid=(\d+)/g)].map((m) => ({ name: m[1], pid: Number(m[2]) }));
    found.push({ address: local.slice(0, local.lastIndexOf(':')).replace(/^\[|\]$/g, '').replace(/%.*$/, ''), port, processes });
  }
  return found;
}

function parseProxy(text: string | undefined, source: string) {
  return lines(text).flatMap((line) => {
    const match = /^(?:export\s+)?([A-Za-z_]+_proxy|[A-Z_]+_PROXY)=["']?([^"']*)["']?$/.exec(line);
    return match && /^(https?|no)_proxy$/i.test(match[1]) ? [{ name: match[1], value: match[2], source }] : [];
  });
}

/** Parses the node's facts (the merged sections) into the view the checks read. */
export function parseNodeView(facts: RawFacts): NodeView {
  const cniConf = lines(facts[S.cniConf]).flatMap((line) => {
    const space = line.indexOf(' ');
    if (space <= 0) return [];
    return [{ name: line.slice(0, space), content: Buffer.from(line.slice(space + 1), 'base64').toString('utf8') }];
  }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const hostname = keyValues(facts[S.hostname]);
  const environment = parseFileFact(facts, ENVIRONMENT_FILE).content;
  return {
    ip: ipState(facts),
    sysctls: keyValues(facts[S.sysctl]),
    modules: new Map([...keyValues(facts[S.modules])].map(([k, v]) => [k, v === 'loaded'])),
    sharedKernel: (facts[S.procSys] ?? '').trim().split(',').includes('ro'),
    listeners: parseListeners(facts[S.listeners]),
    etcdConnections: Number((facts[S.etcd] ?? '').trim()) || 0,
    cniConf,
    cniBin: new Set(lines(facts[S.cniBin])),
    kubeServicesChain: Number((facts[S.kubeChains] ?? '').trim()) > 0,
    binaries: new Map([...keyValues(facts[S.binaries])].map(([k, v]) => [k, v === 'yes'])),
    hostname: hostname.get('name') ?? '',
    hostnameResolves: (hostname.get('resolves') ?? '').split(/\s+/)[0] ?? '',
    proxyEnv: [...parseProxy(facts[S.proxy], 'the SSH session'), ...parseProxy(environment, ENVIRONMENT_FILE)],
    firewalldRunning: lines(facts[S.firewalld]).length > 0,
    files: {
      hosts: parseFileFact(facts, HOSTS_FILE),
      resolv: parseFileFact(facts, RESOLV_FILE),
      nsswitch: parseFileFact(facts, NSSWITCH_FILE),
      swaps: parseFileFact(facts, SWAPS_FILE),
      apiserver: parseFileFact(facts, KUBE_APISERVER_MANIFEST),
      controllerManager: parseFileFact(facts, KUBE_CONTROLLER_MANAGER_MANIFEST),
      kubelet: parseFileFact(facts, KUBELET_CONFIG),
    },
  };
}
