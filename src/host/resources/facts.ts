/**
 * Fact commands and parsers shared by several resource kinds: `ip -j` JSON (links, addresses, routes, in the node
 * or inside one of its network namespaces) and whole files. A section name is the same for the same command, so
 * kinds that need the same fact share one read.
 *
 * Every fact command must print nothing (not fail) when the thing is absent; commands that could fail are wrapped
 * in `sh -c '...; true'` with the values passed as positional parameters, never spliced into the script text.
 */
import { createTwoFilesPatch } from 'diff';
import type { Change, Command, RawFacts } from '../types';

// ---------------------------------------------------------------------------------------------------------------
// ip -j

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
  const wrap = (args: string[]) => (ns === undefined ? ['ip', ...args] : ['sh', '-c', 'n=$1; shift; ip -n "$n" "$@" 2>/dev/null; true', 'sh', ns, ...args]);
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

// ---------------------------------------------------------------------------------------------------------------
// Files

/** A file as read from a node: its exact bytes (base64 on the wire, so nothing trims them) and whether it is a link. */
export interface FileFact {
  /** Content, or undefined when there is no regular file (or the link is dangling). */
  readonly content?: string;
  /** Target when the path is a symbolic link (e.g. resolv.conf → ../run/systemd/resolve/stub-resolv.conf). */
  readonly link?: string;
}

/** Section names are one word without '/' (the engine's fact script rule): `/etc/hosts` → `file:etc:hosts`. */
export function fileFactSection(path: string): string {
  return `file:${path.split('/').filter(Boolean).join(':')}`;
}

/** Prints `link:<target>` for a symlink and `file:<base64>` for an existing file; nothing when absent. */
export function fileFact(path: string): Record<string, string[]> {
  return {
    [fileFactSection(path)]: ['sh', '-c',
      'if [ -L "$1" ]; then printf "link:%s\\n" "$(readlink "$1")"; fi; if [ -f "$1" ]; then printf "file:"; base64 -w0 < "$1"; echo; fi; true',
      'sh', path],
  };
}

export function parseFileFact(facts: RawFacts, path: string): FileFact {
  const raw = facts[fileFactSection(path)] ?? '';
  let content: string | undefined;
  let link: string | undefined;
  for (const line of raw.split('\n')) {
    if (line.startsWith('link:')) link = line.slice('link:'.length);
    else if (line.startsWith('file:')) content = Buffer.from(line.slice('file:'.length).trim(), 'base64').toString('utf8');
  }
  return { content, link };
}

/** A unified diff of a file's old and new content (absent files diff as empty, under /dev/null). */
export function fileDiff(path: string, before: string | undefined, after: string | undefined): string {
  return createTwoFilesPatch(before === undefined ? '/dev/null' : path, after === undefined ? '/dev/null' : path,
    before ?? '', after ?? '', undefined, undefined, { context: 3 });
}

/**
 * The change that makes `path` hold `desired` (or be absent when desired is undefined), and its exact revert:
 * the old bytes, the old symlink, or no file at all. Undefined when the file is already right.
 */
export function fileChange(kind: string, path: string, before: FileFact, desired: string | undefined, mode = '0644'): Change | undefined {
  const present = before.content !== undefined || before.link !== undefined;
  if (desired === undefined && !present) return undefined;
  if (desired !== undefined && before.link === undefined && before.content === desired) return undefined;
  const describe = (f: FileFact) => (f.link !== undefined ? `symlink to ${f.link}` : f.content === undefined ? 'absent' : `${lineCount(f.content)} lines`);
  const revert: Command[] = [];
  if (before.link !== undefined) revert.push({ removeFile: path }, { argv: ['ln', '-s', before.link, path] });
  else if (before.content !== undefined) revert.push({ writeFile: path, content: before.content, mode });
  else revert.push({ removeFile: path });
  const apply: Command[] = desired === undefined
    ? [{ removeFile: path }]
    : before.link !== undefined ? [{ removeFile: path }, { writeFile: path, content: desired, mode }] : [{ writeFile: path, content: desired, mode }];
  return {
    kind,
    target: path,
    before: describe(before),
    after: desired === undefined ? 'absent' : `${lineCount(desired)} lines`,
    diff: fileDiff(path, before.content, desired),
    apply,
    revert,
  };
}

function lineCount(text: string): number {
  return text === '' ? 0 : text.replace(/\n$/, '').split('\n').length;
}

// ---------------------------------------------------------------------------------------------------------------
// Managed blocks (/etc/hosts, /etc/resolv.conf)

export const BLOCK_BEGIN = '# BEGIN netstrap';
export const BLOCK_END = '# END netstrap';

/**
 * Returns `content` with netstrap's managed block set to `lines` (removed when lines is empty). An existing block is
 * replaced where it stands; a new one goes at the top or the bottom. Every other line is kept byte for byte.
 */
export function withManagedBlock(content: string | undefined, lines: ReadonlyArray<string>, where: 'top' | 'bottom'): string | undefined {
  const text = content ?? '';
  const block = lines.length === 0 ? '' : `${BLOCK_BEGIN}\n${lines.join('\n')}\n${BLOCK_END}\n`;
  const begin = text.indexOf(`${BLOCK_BEGIN}\n`);
  const endMarker = `${BLOCK_END}\n`;
  const end = begin < 0 ? -1 : text.indexOf(endMarker, begin);
  if (begin >= 0 && (begin === 0 || text[begin - 1] === '\n') && end >= 0) {
    return text.slice(0, begin) + block + text.slice(end + endMarker.length);
  }
  if (block === '') return content;
  if (where === 'top') return block + text;
  return text === '' || text.endsWith('\n') ? text + block : `${text}\n${block}`;
}
