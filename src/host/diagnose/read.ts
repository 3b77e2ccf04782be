/**
 * What diagnose reads from a node, in the SAME one round trip as the provisioner's own facts (the sections of
 * every resource kind, so drift is planned by the provisioner's code from the same read). Every command is
 * read-only and prints nothing when the thing it reads is absent; values are passed as positional parameters,
 * never spliced into the snippets, and the whole script is rendered by src/host/shell.ts through fact-script.ts.
 * Each section is a fact (fact.ts): its command and its parser together.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import { type Fact, type FactReader, type FactSet, fact, outputLines as lines } from '../fact';
import { fileFact, FileFact, readFileFact } from '../resources/file-facts';
import { z } from 'zod';
import { IpRoute, IpState, ipFacts, ipState, parseRoutes } from '../resources/ip-facts';
import { natTableOf } from '../resources/nat';
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
const SYSCTLS = [
  'net.ipv4.ip_forward',
  'net.ipv6.conf.all.forwarding',
  'net.bridge.bridge-nf-call-iptables',
  'net.netfilter.nf_conntrack_count',
  'net.netfilter.nf_conntrack_max',
];
const MODULES = ['br_netfilter', 'ip_vs', 'ip_vs_rr', 'nf_conntrack'];

// Snippets: constant code; $1.. are the values. Few sections and shell builtins where they do: every process
// forked on the node is a few milliseconds of the read round trip.

// The node: one argument per thing to read (a /proc/sys path, `module:<name>`, `bin:<name>`), a line each; then the /proc/sys mount (read-only:
// a container or the netstrap lab, whose kernel.*, vm.*, swap and modules belong to the machine), the hostname and
// whether it resolves, the session's proxy variables, and whether firewalld runs. Root's PATH over ssh may lack
// the sbin directories, where kubelet's (systemd's) has them. A built-in br_netfilter has no /sys/module entry;
// its sysctls show it is there all the same.
const NODE_SNIPPET = [
  'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"',
  'for a; do case "$a" in',

  '  module:*) m=${a#module:}; if [ -d "/sys/module/$m" ] || { [ "$m" = br_netfilter ] && [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; }; ' +
    'then echo "module:$m=loaded"; else echo "module:$m=absent"; fi;;',
  '  bin:*) b=${a#bin:}; if command -v "$b" >/dev/null 2>&1; then echo "bin:$b=yes"; else echo "bin:$b=no"; fi;;',
  'esac; done',
  // sysctls: one grep for all (`<path>:<value>`); dash's `read` takes single bytes, which /proc/sys files do not serve.
  'grep -s -H . $(for a; do case "$a" in /proc/sys/*) echo "$a";; esac; done)',
  'o=; while read -r _ _ _ _ m opts _; do [ "$m" = /proc/sys ] && o=$opts; done < /proc/self/mountinfo; echo "proc-sys=$o"',
  'read -r h < /proc/sys/kernel/hostname; echo "hostname=$h"; echo "resolves=$(timeout 3 getent ahostsv4 "$h" 2>/dev/null | head -n 1)"',
  'env | grep -i -E "^(https?|no)_proxy="',
  'grep -q -s -l -x firewalld /proc/[0-9]*/comm && echo firewalld=running',
  'true',
].join('\n');
// Listeners; with their processes (ss -p walks every process's fds) only when a Kubernetes port is among them;
// where etcd listens, the number of established connections to its client port.
const LISTENERS_SNIPPET =
  'l=$(ss -Htln 2>/dev/null); case "$l" in *:6443\\ *|*:10250\\ *|*:10257\\ *|*:10259\\ *|*:2379\\ *|*:2380\\ *) ' +
  'l=$(ss -Htlnp 2>/dev/null);; esac; printf "%s\\n" "$l"; case "$l" in *:2379\\ *) ' +
  'printf "etcd-connections=%s\\n" "$(ss -Htn state established "( sport = :2379 )" 2>/dev/null | wc -l)";; esac; true';
// Every candidate file of the CNI config dir (the extensions libcni reads) with its content in base64; then the
// executables of the CNI bin dir.
const CNI_SNIPPET =
  'for f in "$1"/*; do case "$f" in *.conf|*.conflist|*.json) [ -f "$f" ] && { printf "conf %s " "${f##*/}"; base64 -w0 < "$f"; echo; };; esac; done; ' +
  'for f in "$2"/*; do [ -f "$f" ] && [ -x "$f" ] && echo "bin ${f##*/}"; done; true';
// Files, as resources/file-facts.ts reads one, several in one section: `<path> link:<target>`, `<path> file:<base64>`.
const FILES_SNIPPET =
  'for f; do if [ -L "$f" ]; then printf "%s link:%s\\n" "$f" "$(readlink "$f")"; fi; ' +
  'if [ -f "$f" ]; then printf "%s file:" "$f"; base64 -w0 < "$f"; echo; fi; done; true';
// Policy routing: `ip -j rule`, then every table a rule names besides main, local and default (`table T <json>`),
// so a rule that sends traffic past the main table is judged with the routes it leads to.
const RULES_SNIPPET =
  'r=$(ip -j rule 2>/dev/null); printf "rules %s\\n" "${r:-[]}"; ' +
  'for t in $(printf "%s\\n" "$r" | grep -o "\\"table\\":\\"[^\\"]*\\"" | cut -d\\" -f4 | sort -u); do case "$t" in main|local|default) ;; ' +
  '*) printf "table %s %s\\n" "$t" "$(ip -j route show table "$t" 2>/dev/null)";; esac; done; true';
const FILES = [
  NSSWITCH_FILE,
  ENVIRONMENT_FILE,
  SWAPS_FILE,
  KUBE_APISERVER_MANIFEST,
  KUBE_CONTROLLER_MANAGER_MANIFEST,
  KUBELET_CONFIG,
];

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

const ipRuleSchema = z.object({
  priority: z.number(),
  src: z.string().optional(),
  srclen: z.number().optional(),
  dst: z.string().optional(),
  dstlen: z.number().optional(),
  iif: z.string().optional(),
  oif: z.string().optional(),
  fwmark: z.string().optional(),
  not: z.boolean().optional(),
  table: z.string().optional(),
  /** `blackhole`, `unreachable`, `prohibit`, `goto`, `nop`; absent for a rule that looks up a table. */
  action: z.string().optional(),
});

/** One entry of `ip -j rule`. */
export type IpRule = Readonly<z.infer<typeof ipRuleSchema>>;

/** The policy routing of a node: its rules, and the routes of every table they name besides main/local/default. */
export interface PolicyRouting {
  readonly rules: ReadonlyArray<IpRule>;
  readonly tables: ReadonlyMap<string, ReadonlyArray<IpRoute>>;
}

function parsePolicyRouting(output: string): PolicyRouting {
  const rules: IpRule[] = [];
  const tables = new Map<string, IpRoute[]>();
  for (const line of lines(output)) {
    if (line.startsWith('rules ')) {
      const parsed = z.array(ipRuleSchema).safeParse(JSON.parse(line.slice('rules '.length)));
      if (!parsed.success)
        throw new Error(`fact ip rule: output is not as expected: ${parsed.error.issues[0].message}`);
      rules.push(...parsed.data);
    } else {
      const match = /^table (\S+) ?(.*)$/.exec(line);
      if (match) tables.set(match[1], parseRoutes(match[2]));
    }
  }
  return { rules, tables };
}

/** Everything diagnose reads from a node, parsed. */
export interface NodeView {
  readonly ip: IpState;
  readonly policy: PolicyRouting;
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
    readonly hosts: FileFact;
    readonly resolv: FileFact;
    readonly nsswitch: FileFact;
    readonly swaps: FileFact;
    readonly apiserver: FileFact;
    readonly controllerManager: FileFact;
    readonly kubelet: FileFact;
  };
}

function keyValues(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of lines(text)) {
    const eq = line.indexOf('=');
    if (eq > 0) map.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return map;
}

/** `LISTEN 0 4096 192.168.1.11:6443 0.0.0.0:* users:(("kube-apiserver",pid=812,fd=7))` → a Listener. */
export function parseListeners(text: string): Listener[] {
  const found: Listener[] = [];
  for (const line of lines(text)) {
    const words = line.split(/\s+/);
    const local = words[3];
    const port = Number(local?.slice(local.lastIndexOf(':') + 1));
    if (!local || !Number.isInteger(port)) continue;
    const processes = [...line.matchAll(/\("([^"]*)",pid=(\d+)/g)].map((m) => ({ name: m[1], pid: Number(m[2]) }));
    found.push({
      address: local
        .slice(0, local.lastIndexOf(':'))
        .replace(/^\[|\]$/g, '')
        .replace(/%.*$/, ''),
      port,
      processes,
    });
  }
  return found;
}

function parseProxy(text: string, source: string) {
  return lines(text).flatMap((line) => {
    const match = /^(?:export\s+)?([A-Za-z_]+_proxy|[A-Z_]+_PROXY)=["']?([^"']*)["']?$/.exec(line);
    return match && /^(https?|no)_proxy$/i.test(match[1]) ? [{ name: match[1], value: match[2], source }] : [];
  });
}

/** The files of the diag-files section, as readFileFact gives one. */
function parseFiles(text: string): Map<string, FileFact> {
  const files = new Map<string, { content?: string; link?: string }>();
  for (const line of lines(text)) {
    const match = /^(\S+) (link|file):(.*)$/.exec(line);
    if (!match) continue;
    const entry = files.get(match[1]) ?? {};
    if (match[2] === 'link') entry.link = match[3];
    else entry.content = Buffer.from(match[3], 'base64').toString('utf8');
    files.set(match[1], entry);
  }
  return files;
}

/** The node section: its lines (`key=value`, `/proc/sys/<path>:<value>`, proxy variables). */
interface NodeLines {
  readonly lines: ReadonlyArray<string>;
  readonly values: ReadonlyMap<string, string>;
}
const parseNodeLines = (output: string): NodeLines => ({ lines: lines(output), values: keyValues(output) });

interface Listening {
  readonly listeners: ReadonlyArray<Listener>;
  readonly etcdConnections: number;
}
const parseListening = (output: string): Listening => ({
  listeners: parseListeners(output),
  etcdConnections: Number(/^etcd-connections=(\d+)$/m.exec(output)?.[1] ?? 0),
});

interface CniDirs {
  /** Candidate CNI config files, sorted by name as libcni does (byte order). */
  readonly conf: ReadonlyArray<CniConfFile>;
  /** Executable files in cni.binDir. */
  readonly bin: ReadonlySet<string>;
}
function parseCniDirs(output: string): CniDirs {
  const cni = lines(output);
  const conf = cni
    .filter((l) => l.startsWith('conf '))
    .flatMap((line) => {
      const rest = line.slice('conf '.length);
      const space = rest.lastIndexOf(' ');
      if (space <= 0) return [];
      return [{ name: rest.slice(0, space), content: Buffer.from(rest.slice(space + 1), 'base64').toString('utf8') }];
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { conf, bin: new Set(cni.filter((l) => l.startsWith('bin ')).map((l) => l.slice('bin '.length))) };
}

const sh = (snippet: string, ...args: string[]) => ['sh', '-c', snippet, 'sh', ...args];

const nodeFact: Fact<NodeLines> = fact(
  'diag-node',
  sh(
    NODE_SNIPPET,
    ...SYSCTLS.map((k) => `/proc/sys/${k.split('.').join('/')}`),
    ...MODULES.map((m) => `module:${m}`),
    ...PREFLIGHT_BINARIES.map((b) => `bin:${b}`),
  ),
  parseNodeLines,
);
const listenersFact: Fact<Listening> = fact('diag-listeners', sh(LISTENERS_SNIPPET), parseListening);
const cniFact = (binDir: string): Fact<CniDirs> =>
  fact('diag-cni', sh(CNI_SNIPPET, CNI_CONF_DIR, binDir), parseCniDirs);
const rulesFact: Fact<PolicyRouting> = fact('diag-rules', sh(RULES_SNIPPET), parsePolicyRouting);
const filesFact: Fact<ReadonlyMap<string, FileFact>> = fact('diag-files', sh(FILES_SNIPPET, ...FILES), parseFiles);

/** What diagnose reads besides every resource kind's facts. */
export const diagnoseReader: FactReader = {
  facts: (_node: ClusterNode, cluster: Cluster) => [
    ...ipFacts(),
    nodeFact,
    listenersFact,
    cniFact(cluster.cni.binDir),
    filesFact,
    rulesFact,
    fileFact(HOSTS_FILE),
    fileFact(RESOLV_FILE),
  ],
};

/** The node's facts as the view the checks read. */
export function parseNodeView(facts: FactSet, cluster: Cluster): NodeView {
  const node = facts.get(nodeFact);
  const prefixed = (prefix: string) =>
    new Map([...node.values].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  const cni = facts.get(cniFact(cluster.cni.binDir));
  const files = facts.get(filesFact);
  const file = (path: string): FileFact => files.get(path) ?? {};
  const listening = facts.get(listenersFact);
  return {
    ip: ipState(facts),
    policy: facts.get(rulesFact),
    sysctls: new Map(
      node.lines.flatMap((line) => {
        const match = /^\/proc\/sys\/([^:]+):(.*)$/.exec(line);
        return match ? [[match[1].split('/').join('.'), match[2]] as const] : [];
      }),
    ),
    modules: new Map([...prefixed('module:')].map(([k, v]) => [k, v === 'loaded'])),
    sharedKernel: (node.values.get('proc-sys') ?? '').split(',').includes('ro'),
    listeners: listening.listeners,
    etcdConnections: listening.etcdConnections,
    cniConf: cni.conf,
    cniBin: cni.bin,
    kubeServicesChain: natTableOf(facts, 4).chains.has('KUBE-SERVICES'),
    binaries: new Map([...prefixed('bin:')].map(([k, v]) => [k, v === 'yes'])),
    hostname: node.values.get('hostname') ?? '',
    hostnameResolves: (node.values.get('resolves') ?? '').split(/\s+/)[0] ?? '',
    proxyEnv: [
      ...parseProxy(node.lines.join('\n'), 'the SSH session'),
      ...parseProxy(file(ENVIRONMENT_FILE).content ?? '', ENVIRONMENT_FILE),
    ],
    firewalldRunning: node.values.get('firewalld') === 'running',
    files: {
      hosts: readFileFact(facts, HOSTS_FILE),
      resolv: readFileFact(facts, RESOLV_FILE),
      nsswitch: file(NSSWITCH_FILE),
      swaps: file(SWAPS_FILE),
      apiserver: file(KUBE_APISERVER_MANIFEST),
      controllerManager: file(KUBE_CONTROLLER_MANAGER_MANIFEST),
      kubelet: file(KUBELET_CONFIG),
    },
  };
}
