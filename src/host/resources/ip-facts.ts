/**
 * `ip -j` facts shared by several resource kinds: links, addresses and routes, of the node or inside one of its
 * network namespaces, and the node's namespace list. A section name is the same for the same command, so kinds that
 * need the same fact share one read.
 *
 * Every fact command must print nothing (not fail) when the thing is absent; commands that could fail are wrapped
 * in `sh -c '...; true'` with the values passed as positional parameters, never spliced into the script text.
 */
import type { RawFacts } from '../types';

/** One entry of `ip -j -d link show` (only the fields netstrap reads). */
export interface IpLink {
  readonly ifname: string;
  readonly flags?: string[];
  readonly mtu?: number;
  readonly master?: string;
  readonly linkinfo?: { readonly info_kind?: string };
}

/** One entry of `ip -j addr show`. */
export interface IpAddrEntry extends IpLink {
  readonly addr_info?: ReadonlyArray<{ readonly family: string; readonly local: string; readonly prefixlen: number }>;
}

/** One entry of `ip -j route show table main`. */
export interface IpRoute {
  /** Absent for unicast; `blackhole`, `unreachable`, `prohibit`, `throw`... otherwise. */
  readonly type?: string;
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly metric?: number;
  readonly protocol?: string;
  readonly scope?: string;
  readonly prefsrc?: string;
  readonly flags?: string[];
}

/** Section names and commands of the `ip -j` facts of the node (ns undefined) or of one of its namespaces. */
export function ipFacts(ns?: string): Record<string, string[]> {
  const prefix = ns === undefined ? 'ip' : `netns:${ns}:ip`;
  const wrap = (args: string[]) =>
    ns === undefined
      ? ['ip', ...args]
      : ['sh', '-c', 'n=$1; shift; ip -n "$n" "$@" 2>/dev/null; true', 'sh', ns, ...args];
  return {
    [`${prefix}-link`]: wrap(['-j', '-d', 'link', 'show']),
    [`${prefix}-addr`]: wrap(['-j', 'addr', 'show']),
    [`${prefix}-route`]: wrap(['-j', 'route', 'show', 'table', 'main']),
  };
}

function parseJsonArray<T>(text: string | undefined, section: string): T[] {
  if (text === undefined || text.trim() === '') return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) throw new Error('not a JSON array');
    return parsed as T[];
  } catch (error) {
    throw new Error(`fact ${section}: cannot parse ip -j output: ${(error as Error).message}`);
  }
}

/** Parsed `ip -j` facts of the node or of one namespace; all empty when the namespace does not exist. */
export interface IpState {
  readonly links: IpLink[];
  readonly addrs: IpAddrEntry[];
  readonly routes: IpRoute[];
}

export function ipState(facts: RawFacts, ns?: string): IpState {
  const prefix = ns === undefined ? 'ip' : `netns:${ns}:ip`;
  return {
    links: parseJsonArray<IpLink>(facts[`${prefix}-link`], `${prefix}-link`),
    addrs: parseJsonArray<IpAddrEntry>(facts[`${prefix}-addr`], `${prefix}-addr`),
    routes: parseJsonArray<IpRoute>(facts[`${prefix}-route`], `${prefix}-route`),
  };
}

/** The IPv4 addresses (`a.b.c.d/n`) of one interface. */
export function ipv4Addresses(state: IpState, ifname: string): string[] {
  const entry = state.addrs.find((a) => a.ifname === ifname);
  return (entry?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

export function findLink(state: IpState, ifname: string): IpLink | undefined {
  return state.links.find((l) => l.ifname === ifname);
}

export function isUp(link: IpLink | undefined): boolean {
  return (link?.flags ?? []).includes('UP');
}

/** Network namespaces of the node (`ip -j netns list`, which prints nothing or [] when there are none). */
export const NETNS_FACT = 'netns-list';
export function netnsFact(): Record<string, string[]> {
  return { [NETNS_FACT]: ['sh', '-c', 'ip -j netns list 2>/dev/null; true'] };
}
export function netnsNames(facts: RawFacts): string[] {
  return parseJsonArray<{ name: string }>(facts[NETNS_FACT], NETNS_FACT).map((n) => n.name);
}
