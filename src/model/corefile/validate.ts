/**
 * Checks of a Corefile model that CoreDNS itself only makes at start-up (or never): unknown plugins, plugins
 * used twice where CoreDNS forbids it, the same zone served twice on one port, forward without upstreams,
 * kubernetes zones other than the cluster domain, hosts entries with bad addresses.
 */
import { parseAddress } from '../cidr';
import { Issue, show } from '../errors';
import { HOST_NAME } from '../schema';
import { Corefile, KNOWN_PLUGINS, ONCE_PER_BLOCK, type Plugin, pluginName, type ServerBlock } from './model';
import { parseCorefile } from './parse';
import { serverKeys } from './render';

/** What the Corefile is checked against. */
export interface CorefileContext {
  /** The cluster DNS domain the kubernetes plugin must serve. @default - not checked */
  readonly clusterDomain?: string;
}

const ZONE = /^(\.|([A-Za-z0-9_*]([A-Za-z0-9_-]*[A-Za-z0-9_])?\.)*[A-Za-z0-9_*]([A-Za-z0-9_-]*[A-Za-z0-9_])?\.?)$/;
const REVERSE_CIDR = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;
const SCHEMES = ['dns', 'tls', 'grpc', 'https', 'quic'];

/** `example.org`, `Example.org.` → `example.org.`; `.` stays `.`. */
export function normalizeZone(zone: string): string {
  const lower = zone.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function isReverseZone(zone: string): boolean {
  const z = normalizeZone(zone);
  return z.endsWith('in-addr.arpa.') || z.endsWith('ip6.arpa.') || REVERSE_CIDR.test(zone);
}

export function zoneProblem(zone: string): string | undefined {
  if (ZONE.test(zone)) return undefined;
  if (REVERSE_CIDR.test(zone)) return undefined;
  return `invalid zone ${show(zone)}: expected "." or a domain such as example.org`;
}

/** Edit distance, for "did you mean" hints on misspelt plugin names. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

function suggestion(name: string): string {
  const close = [...KNOWN_PLUGINS].filter((known) => distance(name, known) <= 2);
  return close.length > 0 ? `; did you mean ${close.map((c) => show(c)).join(' or ')}?` : '';
}

/** Checks one upstream of `forward`: a resolv.conf-style file, or [SCHEME://]IPv4[:PORT]. */
export function upstreamProblem(upstream: string): string | undefined {
  if (upstream.startsWith('/')) {
    // A resolv.conf file: one Corefile token, so an absolute path with no spaces, quotes, braces or "..".
    if (/^\/([A-Za-z0-9_.@+-]+\/?)+$/.test(upstream) && !upstream.split('/').includes('..')) return undefined;
    return `invalid upstream ${show(upstream)}: a resolv.conf file must be an absolute path of letters, digits and _ . @ + - (no spaces or "..")`;
  }
  const match = /^(?:(dns|tls):\/\/)?([^:]*)(?::(\d+))?$/.exec(upstream);
  if (!match)
    return `invalid upstream ${show(upstream)}: expected an IPv4 address, [dns|tls]://address[:port] or a file such as /etc/resolv.conf`;
  const address = parseAddress(match[2]);
  if (!address.ok) return `invalid upstream ${show(upstream)}: ${address.error}`;
  const port = match[3] === undefined ? 53 : Number(match[3]);
  if (port < 1 || port > 65535) return `invalid upstream ${show(upstream)}: port ${port} is outside 1-65535`;
  return undefined;
}

/**
 * Checks a Corefile model. Issue paths are model paths (`servers[0].plugins[3].zones[0]`); when `lines` (from
 * parseCorefile) is given, messages start with the line number of the plugin or server block they are about.
 */
export function validateCorefile(
  corefile: Corefile,
  context: CorefileContext = {},
  lines?: ReadonlyMap<object, number>,
): Issue[] {
  const issues: Issue[] = [];
  const at = (object: object, path: Array<string | number>, message: string) => {
    const line = lines?.get(object);
    issues.push({ path, message: line !== undefined ? `line ${line}: ${message}` : message });
  };
  if (corefile.servers.length === 0) issues.push({ path: ['servers'], message: 'the Corefile has no server block' });

  const served = new Map<string, string>();
  corefile.servers.forEach((server, s) => {
    const here = ['servers', s];
    if (server.zones.length === 0)
      at(server, [...here, 'zones'], 'missing zone: a server block needs at least one zone, e.g. "."');
    server.zones.forEach((zone, z) => {
      const problem = zoneProblem(zone);
      if (problem) at(server, [...here, 'zones', z], problem);
    });
    if (server.port !== undefined && (!Number.isInteger(server.port) || server.port < 1 || server.port > 65535)) {
      at(server, [...here, 'port'], `port ${show(server.port)} is outside 1-65535`);
    }
    if (server.scheme !== undefined && !SCHEMES.includes(server.scheme)) {
      at(server, [...here, 'scheme'], `unknown scheme ${show(server.scheme)}: expected one of ${SCHEMES.join(', ')}`);
    }
    for (const zone of server.zones) {
      const key = `${normalizeZone(zone)}:${server.port ?? 53}`;
      const owner = served.get(key);
      const label = `server block ${s + 1} (${serverKeys(server)})`;
      if (owner)
        at(
          server,
          [...here, 'zones'],
          `zone ${show(zone)} on port ${server.port ?? 53} is already served by ${owner}: CoreDNS refuses to start`,
        );
      else served.set(key, label);
    }

    const seen = new Map<string, number>();
    server.plugins.forEach((plugin, p) => {
      const path = [...here, 'plugins', p];
      const name = pluginName(plugin);
      if (!KNOWN_PLUGINS.has(name)) at(plugin, [...path, 'name'], `unknown plugin ${show(name)}${suggestion(name)}`);
      if (ONCE_PER_BLOCK.has(name) && seen.has(name)) {
        at(
          plugin,
          path,
          `plugin ${show(name)} is used twice in server block ${s + 1} (${serverKeys(server)}): CoreDNS allows it once per server block`,
        );
      }
      seen.set(name, p);

      checkPlugin(plugin, path, server, here, context, at);
    });
  });
  return issues;
}

/** Reports a problem of `object` at `path` (with its line, when known). */
type Report = (object: object, path: Array<string | number>, message: string) => void;

/** The rules of one plugin's own arguments (`path` is the plugin's, `here` its server block's). */
function checkPlugin(
  plugin: Plugin,
  path: Array<string | number>,
  server: ServerBlock,
  here: Array<string | number>,
  context: CorefileContext,
  at: Report,
): void {
  switch (plugin.plugin) {
    case 'forward':
      if (plugin.to.length === 0)
        at(
          plugin,
          [...path, 'to'],
          `forward ${show(plugin.from)} has no upstream: give at least one address or /etc/resolv.conf`,
        );
      plugin.to.forEach((upstream, u) => {
        const problem = upstreamProblem(upstream);
        if (problem) at(plugin, [...path, 'to', u], problem);
      });
      if (plugin.maxConcurrent !== undefined && plugin.maxConcurrent < 1)
        at(plugin, [...path, 'maxConcurrent'], `max_concurrent ${plugin.maxConcurrent} must be at least 1`);
      break;
    case 'kubernetes': {
      // Without zones the plugin serves the server block's zones: check those instead.
      const zones = plugin.zones.length > 0 ? plugin.zones : server.zones;
      const zonePath = (z: number) => (plugin.zones.length > 0 ? [...path, 'zones', z] : [...here, 'zones', z]);
      zones.forEach((zone, z) => {
        if (context.clusterDomain === undefined || isReverseZone(zone)) return;
        if (normalizeZone(zone) !== normalizeZone(context.clusterDomain)) {
          at(
            plugin,
            zonePath(z),
            `kubernetes zone ${show(zone)} is not the cluster domain ${show(context.clusterDomain)} nor a reverse zone (in-addr.arpa, ip6.arpa): Service names would not resolve`,
          );
        }
      });
      if (plugin.ttl !== undefined && plugin.ttl > 3600)
        at(plugin, [...path, 'ttl'], `ttl ${plugin.ttl} is outside 0-3600`);
      break;
    }
    case 'cache':
      for (const bucket of ['success', 'denial'] as const) {
        const b = plugin[bucket];
        if (b && b.minTtl !== undefined && b.ttl === undefined)
          at(plugin, [...path, bucket, 'minTtl'], `cache ${bucket}: minTtl ${b.minTtl} needs a ttl before it`);
      }
      break;
    case 'reload':
      if (plugin.jitter !== undefined && plugin.interval === undefined)
        at(plugin, [...path, 'jitter'], `reload: jitter ${show(plugin.jitter)} needs an interval before it`);
      break;
    case 'hosts':
      if (plugin.zones && plugin.zones.length > 0 && plugin.file === undefined) {
        at(plugin, [...path, 'zones'], 'hosts: zones need a file before them ("hosts /etc/hosts example.org")');
      }
      plugin.entries.forEach((entry, e) => {
        const address = parseAddress(entry.ip);
        if (!address.ok) at(plugin, [...path, 'entries', e, 'ip'], `hosts entry: ${address.error}`);
        if (entry.names.length === 0)
          at(plugin, [...path, 'entries', e, 'names'], `hosts entry ${show(entry.ip)} has no names`);
        entry.names.forEach((name, n) => {
          if (!HOST_NAME.test(name))
            at(
              plugin,
              [...path, 'entries', e, 'names', n],
              `hosts entry ${show(entry.ip)}: invalid host name ${show(name)}`,
            );
        });
      });
      break;
    default:
      break;
  }
}

/**
 * Parses and checks Corefile text in one go: parse errors first (when there are any, the model is not checked
 * further). Each message starts with its line number; paths are relative to the text (empty).
 */
export function corefileTextIssues(
  text: string,
  context: CorefileContext = {},
): { corefile?: Corefile; issues: Issue[] } {
  const parsed = parseCorefile(text);
  if (parsed.errors.length > 0) {
    return { issues: parsed.errors.map((e) => ({ path: [], message: `line ${e.line}: ${e.message}` })) };
  }
  const issues = validateCorefile(parsed.corefile, context, parsed.lines).map((issue) => ({
    path: [],
    message: issue.message,
  }));
  return { corefile: parsed.corefile, issues };
}
