/**
 * A typed model of the CoreDNS Corefile: server blocks holding plugins. The plugins Kubernetes clusters use have
 * typed interfaces; any other plugin (and any option a typed plugin does not model) is kept in a generic
 * {@link Directive} form, so that every Corefile can be parsed and rendered back without loss of meaning.
 *
 * Each typed plugin has a codec here (model ⇄ Directive); ./render.ts and ./parse.ts only deal with Directives.
 */
import { show } from '../errors';

/** One Corefile line: a name, its arguments and, when the line ends with `{`, a nested block. */
export interface Directive {
  readonly name: string;
  readonly args: readonly string[];
  readonly block?: readonly Directive[];
}

/** Block lines a typed plugin does not model, kept in their order and rendered after the typed ones. */
interface WithExtra {
  readonly extra?: readonly Directive[];
}

export interface ErrorsPlugin extends WithExtra {
  readonly plugin: 'errors';
}
/** `health [ADDRESS] { lameduck DURATION }`: /health on :8080 by default. */
export interface HealthPlugin extends WithExtra {
  readonly plugin: 'health';
  readonly addr?: string;
  readonly lameduck?: string;
}
/** `ready [ADDRESS]`: /ready on :8181 by default. */
export interface ReadyPlugin extends WithExtra {
  readonly plugin: 'ready';
  readonly addr?: string;
}
/** `kubernetes [ZONES...] { pods MODE; fallthrough [ZONES...]; ttl SECONDS }`. */
export interface KubernetesPlugin extends WithExtra {
  readonly plugin: 'kubernetes';
  /** Zones served from the Kubernetes API; empty means the server block's zones. */
  readonly zones: readonly string[];
  readonly pods?: 'disabled' | 'insecure' | 'verified';
  /** Zones whose NXDOMAIN answers fall through to the next plugin; `[]` means all zones. */
  readonly fallthrough?: readonly string[];
  readonly ttl?: number;
}
/** `prometheus [ADDRESS]`: metrics, :9153 by default. */
export interface PrometheusPlugin extends WithExtra {
  readonly plugin: 'prometheus';
  readonly addr?: string;
}
/** `forward FROM TO... { except ZONES...; policy P; max_concurrent N }`. */
export interface ForwardPlugin extends WithExtra {
  readonly plugin: 'forward';
  readonly from: string;
  /** Upstreams: addresses (`8.8.8.8`, `tls://1.1.1.1`, `10.0.0.1:5353`) or a resolv.conf file. */
  readonly to: readonly string[];
  readonly except?: readonly string[];
  readonly policy?: string;
  readonly maxConcurrent?: number;
}
/** `disable success|denial [ZONES...]` inside cache. */
export interface CacheDisable {
  readonly type: 'success' | 'denial';
  readonly zones: readonly string[];
}
/** `success|denial CAPACITY [TTL [MINTTL]]` inside cache. */
export interface CacheBucket {
  readonly capacity: number;
  readonly ttl?: number;
  readonly minTtl?: number;
}
/** `cache [TTL] [ZONES...] { success ...; denial ...; disable ... }`. */
export interface CachePlugin extends WithExtra {
  readonly plugin: 'cache';
  readonly ttl?: number;
  readonly zones?: readonly string[];
  readonly success?: CacheBucket;
  readonly denial?: CacheBucket;
  readonly disable?: readonly CacheDisable[];
}
export interface LoopPlugin extends WithExtra {
  readonly plugin: 'loop';
}
/** `reload [INTERVAL] [JITTER]`. */
export interface ReloadPlugin extends WithExtra {
  readonly plugin: 'reload';
  readonly interval?: string;
  readonly jitter?: string;
}
/** `loadbalance [POLICY [ARGS...]]`, e.g. `loadbalance weighted /etc/coredns/weights`. */
export interface LoadBalancePlugin extends WithExtra {
  readonly plugin: 'loadbalance';
  readonly policy?: string;
  readonly policyArgs?: readonly string[];
}
/** One `IP NAMES...` line of the hosts plugin. */
export interface HostsEntry {
  readonly ip: string;
  readonly names: readonly string[];
}
/** `hosts [FILE [ZONES...]] { IP NAMES...; ttl N; no_reverse; reload D; fallthrough [ZONES...] }`. */
export interface HostsPlugin {
  readonly plugin: 'hosts';
  readonly file?: string;
  readonly zones?: readonly string[];
  readonly entries: readonly HostsEntry[];
  readonly ttl?: number;
  readonly noReverse?: boolean;
  readonly reload?: string;
  readonly fallthrough?: readonly string[];
}
/** `rewrite [continue|stop] FIELD ...`: the rule as written; an `answer ...` block stays in `extra`. */
export interface RewritePlugin extends WithExtra {
  readonly plugin: 'rewrite';
  readonly rule: readonly string[];
}
/** `log [NAMES...] [FORMAT] { class CLASSES... }`. */
export interface LogPlugin extends WithExtra {
  readonly plugin: 'log';
  readonly args?: readonly string[];
  readonly classes?: readonly string[];
}
/** `template CLASS TYPE [ZONES...] { match...; answer...; additional...; authority...; rcode; fallthrough }`. */
export interface TemplatePlugin extends WithExtra {
  readonly plugin: 'template';
  readonly class: string;
  readonly type: string;
  readonly zones?: readonly string[];
  readonly match?: readonly string[];
  readonly answer?: readonly string[];
  readonly additional?: readonly string[];
  readonly authority?: readonly string[];
  readonly rcode?: string;
  readonly fallthrough?: readonly string[];
}
/** Any other plugin, as written. */
export interface GenericPlugin {
  readonly plugin: 'generic';
  readonly name: string;
  readonly args: readonly string[];
  readonly block?: readonly Directive[];
}

export type Plugin =
  | ErrorsPlugin
  | HealthPlugin
  | ReadyPlugin
  | KubernetesPlugin
  | PrometheusPlugin
  | ForwardPlugin
  | CachePlugin
  | LoopPlugin
  | ReloadPlugin
  | LoadBalancePlugin
  | HostsPlugin
  | RewritePlugin
  | LogPlugin
  | TemplatePlugin
  | GenericPlugin;

/** A server block: `[SCHEME://]ZONE[:PORT] ... { plugins }`. All keys of one block share scheme and port. */
export interface ServerBlock {
  readonly zones: readonly string[];
  /** @default 53 (not written) */
  readonly port?: number;
  /** `dns`, `tls`, `grpc`, `https`... @default dns (not written) */
  readonly scheme?: string;
  readonly plugins: readonly Plugin[];
}

export interface Corefile {
  readonly servers: readonly ServerBlock[];
}

/** The plugin's name as written in the Corefile. */
export function pluginName(plugin: Plugin): string {
  return plugin.plugin === 'generic' ? plugin.name : plugin.plugin;
}

/**
 * Plugins compiled into CoreDNS 1.10/1.11 (core/plugin/zplugin.go of the release images). A name outside this list
 * is an unknown plugin: CoreDNS refuses to start with "Unknown directive".
 */
export const KNOWN_PLUGINS: ReadonlySet<string> = new Set([
  'root',
  'metadata',
  'geoip',
  'cancel',
  'tls',
  'timeouts',
  'reload',
  'nsid',
  'bufsize',
  'bind',
  'debug',
  'trace',
  'ready',
  'health',
  'pprof',
  'prometheus',
  'errors',
  'log',
  'dnstap',
  'local',
  'dns64',
  'acl',
  'any',
  'chaos',
  'loadbalance',
  'tsig',
  'cache',
  'rewrite',
  'header',
  'dnssec',
  'autopath',
  'minimal',
  'template',
  'transfer',
  'hosts',
  'route53',
  'azure',
  'clouddns',
  'k8s_external',
  'kubernetes',
  'file',
  'auto',
  'secondary',
  'etcd',
  'loop',
  'forward',
  'grpc',
  'erratic',
  'whoami',
  'on',
  'sign',
  'view',
]);

/**
 * Plugins whose setup fails with "this plugin can only be used once per Server Block" (plugin.ErrOnce) in CoreDNS
 * 1.10 (forward accepts several stanzas in later releases). Others (log, rewrite, template...) may repeat.
 */
export const ONCE_PER_BLOCK: ReadonlySet<string> = new Set([
  'errors',
  'health',
  'ready',
  'kubernetes',
  'prometheus',
  'forward',
  'cache',
  'loop',
  'reload',
  'hosts',
]);

// ---------------------------------------------------------------------------------------------------------------
// Codecs: typed plugin ⇄ Directive

const line = (name: string, ...args: Array<string | number | undefined>): Directive => ({
  name,
  args: args.filter((a): a is string | number => a !== undefined).map(String),
});
const opt = <T>(value: T | undefined, make: (v: T) => Directive | Directive[]): Directive[] =>
  value === undefined ? [] : ([] as Directive[]).concat(make(value));
const withBlock = (name: string, args: ReadonlyArray<string | number | undefined>, block: Directive[]): Directive => {
  const head = line(name, ...args);
  return block.length > 0 ? { ...head, block } : head;
};

/** Turns a typed plugin into the Directive it is written as. */
export function toDirective(p: Plugin): Directive {
  const extra = 'extra' in p && p.extra ? [...p.extra] : [];
  switch (p.plugin) {
    case 'errors':
    case 'loop':
      return withBlock(p.plugin, [], extra);
    case 'health':
      return withBlock('health', [p.addr], [...opt(p.lameduck, (d) => line('lameduck', d)), ...extra]);
    case 'ready':
    case 'prometheus':
      return withBlock(p.plugin, [p.addr], extra);
    case 'kubernetes':
      return withBlock('kubernetes', p.zones, [
        ...opt(p.pods, (m) => line('pods', m)),
        ...opt(p.fallthrough, (z) => line('fallthrough', ...z)),
        ...opt(p.ttl, (t) => line('ttl', t)),
        ...extra,
      ]);
    case 'forward':
      return withBlock(
        'forward',
        [p.from, ...p.to],
        [
          ...opt(p.except, (z) => line('except', ...z)),
          ...opt(p.policy, (v) => line('policy', v)),
          ...opt(p.maxConcurrent, (n) => line('max_concurrent', n)),
          ...extra,
        ],
      );
    case 'cache': {
      const bucket = (name: string) => (b: CacheBucket) =>
        line(name, b.capacity, b.ttl, b.ttl === undefined ? undefined : b.minTtl);
      return withBlock(
        'cache',
        [p.ttl, ...(p.zones ?? [])],
        [
          ...opt(p.success, bucket('success')),
          ...opt(p.denial, bucket('denial')),
          ...(p.disable ?? []).map((d) => line('disable', d.type, ...d.zones)),
          ...extra,
        ],
      );
    }
    case 'reload':
      return withBlock('reload', [p.interval, p.interval === undefined ? undefined : p.jitter], extra);
    case 'loadbalance':
      return withBlock('loadbalance', p.policy === undefined ? [] : [p.policy, ...(p.policyArgs ?? [])], extra);
    case 'hosts':
      return withBlock(
        'hosts',
        [p.file, ...(p.file === undefined ? [] : (p.zones ?? []))],
        [
          ...p.entries.map((e) => line(e.ip, ...e.names)),
          ...opt(p.ttl, (t) => line('ttl', t)),
          ...(p.noReverse ? [line('no_reverse')] : []),
          ...opt(p.reload, (d) => line('reload', d)),
          ...opt(p.fallthrough, (z) => line('fallthrough', ...z)),
        ],
      );
    case 'rewrite':
      return withBlock('rewrite', p.rule, extra);
    case 'log':
      return withBlock('log', p.args ?? [], [...opt(p.classes, (c) => line('class', ...c)), ...extra]);
    case 'template': {
      const each = (name: string, values: readonly string[] | undefined) => (values ?? []).map((v) => line(name, v));
      return withBlock(
        'template',
        [p.class, p.type, ...(p.zones ?? [])],
        [
          ...each('match', p.match),
          ...each('answer', p.answer),
          ...each('additional', p.additional),
          ...each('authority', p.authority),
          ...opt(p.rcode, (r) => line('rcode', r)),
          ...opt(p.fallthrough, (z) => line('fallthrough', ...z)),
          ...extra,
        ],
      );
    }
    case 'generic':
      return p.block ? { name: p.name, args: p.args, block: p.block } : { name: p.name, args: p.args };
  }
}

/** A problem found while decoding a directive; `at` is the directive it is about (for its line number). */
export interface DecodeProblem {
  readonly at: Directive;
  readonly message: string;
}

/** What decoding one directive needs: the directive, its block, and the checks that report what it cannot hold. */
interface DirectiveReader {
  readonly d: Directive;
  readonly block: ReadonlyArray<Directive>;
  fail(at: Directive, message: string): void;
  /** The directive takes at most `n` arguments (`what` they are). */
  atMost(n: number, what: string): void;
  /** A whole number, or undefined (reported) when it is absent or not one. */
  int(at: Directive, text: string | undefined, what: string): number | undefined;
  /** The one argument of a sub-directive (reported when there are more or fewer). */
  one(at: Directive, what: string): string | undefined;
  /** The sub-directives a typed form does not know, kept as they are. */
  extras(known: ReadonlyArray<string>): { extra?: Directive[] };
  find(name: string): Directive[];
  last(name: string): Directive | undefined;
  /** `o` without its undefined fields. */
  defined<T extends object>(o: T): T;
}

function directiveReader(d: Directive, problems: DecodeProblem[]): DirectiveReader {
  const block = d.block ?? [];
  const fail = (at: Directive, message: string) => {
    problems.push({ at, message });
  };
  const find = (name: string) => block.filter((b) => b.name === name);
  return {
    d,
    block,
    fail,
    atMost: (n, what) => {
      if (d.args.length > n)
        fail(
          d,
          `${d.name} takes ${n === 0 ? 'no arguments' : `at most ${n} argument (${what})`}, got ${d.args.map((a) => show(a)).join(' ')}`,
        );
    },
    int: (at, text, what) => {
      if (text === undefined) {
        fail(at, `${at.name} needs ${what}`);
        return undefined;
      }
      if (!/^\d+$/.test(text)) {
        fail(at, `${at.name}: ${what} must be a whole number, got ${show(text)}`);
        return undefined;
      }
      return Number(text);
    },
    one: (at, what) => {
      if (at.args.length !== 1) fail(at, `${at.name} takes exactly one argument (${what}), got ${at.args.length}`);
      return at.args[0];
    },
    extras: (known) => {
      const rest = block.filter((b) => !known.includes(b.name));
      return rest.length > 0 ? { extra: rest } : {};
    },
    find,
    last: (name) => {
      const all = find(name);
      return all[all.length - 1];
    },
    defined: <T extends object>(o: T): T =>
      Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T,
  };
}

function decodeErrors({ d, atMost, extras }: DirectiveReader): Plugin {
  atMost(0, '');
  return { plugin: d.name as 'errors' | 'loop', ...extras([]) };
}

function decodeHealth({ d, atMost, one, extras, last, defined }: DirectiveReader): Plugin {
  atMost(1, 'address');
  const lameduck = last('lameduck');
  return defined({
    plugin: 'health',
    addr: d.args[0],
    lameduck: lameduck && one(lameduck, 'duration'),
    ...extras(['lameduck']),
  });
}

function decodeReady({ d, atMost, extras, defined }: DirectiveReader): Plugin {
  atMost(1, 'address');
  return defined({ plugin: d.name as 'ready' | 'prometheus', addr: d.args[0], ...extras([]) });
}

function decodeKubernetes({ d, fail, int, one, extras, last, defined }: DirectiveReader): Plugin {
  const pods = last('pods');
  const mode = pods && one(pods, 'disabled, insecure or verified');
  if (mode !== undefined && !['disabled', 'insecure', 'verified'].includes(mode)) {
    fail(pods!, `pods must be disabled, insecure or verified, got ${show(mode)}`);
  }
  const ttl = last('ttl');
  return defined({
    plugin: 'kubernetes',
    zones: [...d.args],
    pods: mode as KubernetesPlugin['pods'],
    fallthrough: last('fallthrough')?.args,
    ttl: ttl && int(ttl, ttl.args[0], 'seconds'),
    ...extras(['pods', 'fallthrough', 'ttl']),
  });
}

function decodeForward({ d, fail, int, one, extras, last, defined }: DirectiveReader): Plugin {
  if (d.args.length === 0) fail(d, 'forward needs a zone to forward ("." for everything) and at least one upstream');
  const policy = last('policy');
  const max = last('max_concurrent');
  return defined({
    plugin: 'forward',
    from: d.args[0] ?? '',
    to: d.args.slice(1),
    except: last('except')?.args,
    policy: policy && one(policy, 'random, round_robin or sequential'),
    maxConcurrent: max && int(max, max.args[0], 'a number of queries'),
    ...extras(['except', 'policy', 'max_concurrent']),
  });
}

function decodeCache({ d, fail, int, extras, find, last, defined }: DirectiveReader): Plugin {
  const hasTtl = d.args.length > 0 && /^\d+$/.test(d.args[0]);
  const zones = d.args.slice(hasTtl ? 1 : 0);
  const bucket = (name: string): CacheBucket | undefined => {
    const b = last(name);
    if (!b) return undefined;
    const capacity = int(b, b.args[0], 'a capacity') ?? 0;
    return defined({
      capacity,
      ttl: b.args[1] === undefined ? undefined : int(b, b.args[1], 'a TTL'),
      minTtl: b.args[2] === undefined ? undefined : int(b, b.args[2], 'a minimum TTL'),
    });
  };
  const disable = find('disable').map((b): CacheDisable => {
    if (b.args[0] !== 'success' && b.args[0] !== 'denial')
      fail(b, `disable takes success or denial, got ${show(b.args[0] ?? '')}`);
    return { type: b.args[0] === 'denial' ? 'denial' : 'success', zones: b.args.slice(1) };
  });
  return defined({
    plugin: 'cache',
    ttl: hasTtl ? Number(d.args[0]) : undefined,
    zones: zones.length > 0 ? zones : undefined,
    success: bucket('success'),
    denial: bucket('denial'),
    disable: disable.length > 0 ? disable : undefined,
    ...extras(['success', 'denial', 'disable']),
  });
}

function decodeReload({ d, atMost, extras, defined }: DirectiveReader): Plugin {
  atMost(2, 'interval and jitter');
  return defined({ plugin: 'reload', interval: d.args[0], jitter: d.args[1], ...extras([]) });
}

function decodeLoadbalance({ d, extras, defined }: DirectiveReader): Plugin {
  return defined({
    plugin: 'loadbalance',
    policy: d.args[0],
    policyArgs: d.args.length > 1 ? d.args.slice(1) : undefined,
    ...extras([]),
  });
}

function decodeHosts({ d, block, fail, int, one, find, last, defined }: DirectiveReader): Plugin {
  const options = ['ttl', 'no_reverse', 'reload', 'fallthrough'];
  const ttl = last('ttl');
  const reload = last('reload');
  return defined({
    plugin: 'hosts',
    file: d.args[0],
    zones: d.args.length > 1 ? d.args.slice(1) : undefined,
    entries: block
      .filter((b) => !options.includes(b.name))
      .map((b) => {
        if (b.block) fail(b, `a hosts entry cannot open a block: ${show(b.name)}`);
        if (b.args.length === 0) fail(b, `hosts entry ${show(b.name)} has no names (expected "IP NAME...")`);
        return { ip: b.name, names: [...b.args] };
      }),
    ttl: ttl && int(ttl, ttl.args[0], 'seconds'),
    noReverse: find('no_reverse').length > 0 ? true : undefined,
    reload: reload && one(reload, 'duration'),
    fallthrough: last('fallthrough')?.args,
  });
}

function decodeRewrite({ d, fail, extras }: DirectiveReader): Plugin {
  if (d.args.length === 0)
    fail(d, 'rewrite needs a rule, e.g. "rewrite name foo.example.com foo.default.svc.cluster.local"');
  return { plugin: 'rewrite', rule: [...d.args], ...extras([]) };
}

function decodeLog({ d, extras, last, defined }: DirectiveReader): Plugin {
  return defined({
    plugin: 'log',
    args: d.args.length > 0 ? [...d.args] : undefined,
    classes: last('class')?.args,
    ...extras(['class']),
  });
}

function decodeTemplate({ d, fail, one, extras, find, last, defined }: DirectiveReader): Plugin {
  if (d.args.length < 2) fail(d, 'template needs a class and a type, e.g. "template IN A example.org"');
  const all = (name: string) => {
    const v = find(name).flatMap((b) => b.args);
    return v.length > 0 ? v : undefined;
  };
  const rcode = last('rcode');
  return defined({
    plugin: 'template',
    class: d.args[0] ?? '',
    type: d.args[1] ?? '',
    zones: d.args.length > 2 ? d.args.slice(2) : undefined,
    match: all('match'),
    answer: all('answer'),
    additional: all('additional'),
    authority: all('authority'),
    rcode: rcode && one(rcode, 'response code'),
    fallthrough: last('fallthrough')?.args,
    ...extras(['match', 'answer', 'additional', 'authority', 'rcode', 'fallthrough']),
  });
}

/** The typed plugins, by directive name. */
const DECODERS: Readonly<Record<string, (reader: DirectiveReader) => Plugin>> = {
  errors: decodeErrors,
  loop: decodeErrors,
  health: decodeHealth,
  ready: decodeReady,
  prometheus: decodeReady,
  kubernetes: decodeKubernetes,
  forward: decodeForward,
  cache: decodeCache,
  reload: decodeReload,
  loadbalance: decodeLoadbalance,
  hosts: decodeHosts,
  rewrite: decodeRewrite,
  log: decodeLog,
  template: decodeTemplate,
};

/**
 * Turns a Directive into a typed plugin (or a GenericPlugin for other names). Problems are arguments the typed
 * form cannot hold (e.g. `ttl abc`); they are reported, and the plugin is still returned in the best form possible.
 */
export function fromDirective(d: Directive, problems: DecodeProblem[]): Plugin {
  const decode = Object.hasOwn(DECODERS, d.name) ? DECODERS[d.name] : undefined;
  if (decode) return decode(directiveReader(d, problems));
  return d.block
    ? { plugin: 'generic', name: d.name, args: [...d.args], block: d.block }
    : { plugin: 'generic', name: d.name, args: [...d.args] };
}

// ---------------------------------------------------------------------------------------------------------------
// The Corefile kubeadm writes, and what netstrap adds to it

/** Options of {@link kubeadmCorefile}. */
export interface KubeadmCorefileOptions {
  /** The cluster DNS domain. @default 'cluster.local' */
  readonly clusterDomain?: string;
  /** Where queries outside the cluster go. @default ['/etc/resolv.conf'] */
  readonly upstreams?: readonly string[];
  /** Static entries served by a `hosts` plugin with `fallthrough`. @default none (no hosts plugin) */
  readonly hosts?: readonly HostsEntry[];
  /** Zone → upstream servers; each becomes a server block `ZONE:53 { errors; cache 30; forward . SERVERS }`. @default none */
  readonly stubDomains?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The Corefile kubeadm v1.27–v1.30 writes (cmd/kubeadm/app/phases/addons/dns/manifests.go), with optional hosts
 * entries (placed after `ready`), other upstreams and stub-domain server blocks.
 */
export function kubeadmCorefile(options: KubeadmCorefileOptions = {}): Corefile {
  const domain = options.clusterDomain ?? 'cluster.local';
  const hosts: Plugin[] =
    options.hosts && options.hosts.length > 0
      ? [{ plugin: 'hosts', entries: options.hosts.map((e) => ({ ip: e.ip, names: [...e.names] })), fallthrough: [] }]
      : [];
  const main: ServerBlock = {
    zones: ['.'],
    port: 53,
    plugins: [
      { plugin: 'errors' },
      { plugin: 'health', lameduck: '5s' },
      { plugin: 'ready' },
      ...hosts,
      {
        plugin: 'kubernetes',
        zones: [domain, 'in-addr.arpa', 'ip6.arpa'],
        pods: 'insecure',
        fallthrough: ['in-addr.arpa', 'ip6.arpa'],
        ttl: 30,
      },
      { plugin: 'prometheus', addr: ':9153' },
      { plugin: 'forward', from: '.', to: [...(options.upstreams ?? ['/etc/resolv.conf'])], maxConcurrent: 1000 },
      { plugin: 'cache', ttl: 30 },
      { plugin: 'loop' },
      { plugin: 'reload' },
      { plugin: 'loadbalance' },
    ],
  };
  const stubs = Object.entries(options.stubDomains ?? {}).map(
    ([zone, servers]): ServerBlock => ({
      zones: [zone],
      port: 53,
      plugins: [{ plugin: 'errors' }, { plugin: 'cache', ttl: 30 }, { plugin: 'forward', from: '.', to: [...servers] }],
    }),
  );
  return { servers: [main, ...stubs] };
}
