/**
 * known_hosts, read the way OpenSSH reads it: plain, wildcard (* ?), negated (!) and hashed (|1|salt|hash)
 * host patterns, the [host]:port form for ports other than 22, @revoked and @cert-authority markers.
 * netstrap checks host keys strictly: a key must be listed; an unknown host is accepted only on request (and
 * then appended); a host listed with another key is ALWAYS refused.
 */
import { createHmac } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { addressText, parseRouteAddress } from '../model/route-table';

export interface KnownHostEntry {
  readonly marker?: '@revoked' | '@cert-authority';
  readonly patterns: string;
  readonly keyType: string;
  /** The key blob, base64 as written in the file. */
  readonly key: string;
}

export type HostKeyVerdict =
  | { readonly status: 'known' }
  | { readonly status: 'unknown' }
  | { readonly status: 'changed'; readonly knownTypes: ReadonlyArray<string> }
  | { readonly status: 'revoked' };

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority')
      marker = fields.shift() as KnownHostEntry['marker'];
    if (fields.length < 3) continue;
    entries.push({ marker, patterns: fields[0], keyType: fields[1], key: fields[2] });
  }
  return entries;
}

/**
 * The name OpenSSH looks up for a host: `host` on port 22, `[host]:port` otherwise (an IPv6 address too: `fd00::1`,
 * `[fd00::1]:2222`).
 */
export function hostKeyName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * The names a host's key may be listed under, the first being the one to record a new key under: the host as given;
 * in lower case, as `ssh` looks it up and writes it (a hashed entry hashes exactly that text); for an IPv6 address
 * written otherwise (`FD00:0::1`), its canonical form (RFC 5952), as a key recorded for the same address elsewhere is.
 */
export function hostKeyNames(host: string, port: number): string[] {
  const lower = host.toLowerCase();
  const canonical = host.includes(':') ? canonicalIpv6(host) : undefined;
  return [...new Set([host, lower, ...(canonical ? [canonical] : [])])].map((name) => hostKeyName(name, port));
}

/** An IPv6 address in canonical form, or undefined when it is not one. */
function canonicalIpv6(text: string): string | undefined {
  const parsed = parseRouteAddress(text);
  return parsed?.family === 6 ? addressText(6, parsed.value) : undefined;
}

/** Whether a known_hosts pattern list (one line's first field) matches a host name. */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  let matched = false;
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!');
    if (patternMatches(negated ? pattern.slice(1) : pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/**
 * One pattern against a name, case-insensitively. Most patterns are plain names: compared as strings, not through a
 * regular expression (every connection checks every line of known_hosts, so a 100-node lab compiled 40 000 of them).
 */
function patternMatches(pattern: string, name: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern.toLowerCase() === name.toLowerCase();
  return wildcard(pattern).test(name);
}

function wildcard(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** The SSH key type named inside a public key blob (its first string). */
export function keyBlobType(blob: Buffer): string {
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** Checks a host's key blob against known_hosts entries. */
export function checkHostKey(
  entries: ReadonlyArray<KnownHostEntry>,
  names: ReadonlyArray<string>,
  blob: Buffer,
): HostKeyVerdict {
  const key = blob.toString('base64');
  const forHost = entries.filter(
    (entry) => entry.marker !== '@cert-authority' && names.some((name) => patternsMatch(entry.patterns, name)),
  );
  if (forHost.some((entry) => entry.marker === '@revoked' && entry.key === key)) return { status: 'revoked' };
  const plain = forHost.filter((entry) => entry.marker === undefined);
  if (plain.some((entry) => entry.key === key)) return { status: 'known' };
  if (plain.length === 0) return { status: 'unknown' };
  return { status: 'changed', knownTypes: [...new Set(plain.map((entry) => entry.keyType))] };
}

/** The key types known for a host, to prefer them in the key exchange (as OpenSSH does). */
export function knownKeyTypes(entries: ReadonlyArray<KnownHostEntry>, names: ReadonlyArray<string>): string[] {
  return [
    ...new Set(
      entries
        .filter((entry) => entry.marker === undefined && names.some((name) => patternsMatch(entry.patterns, name)))
        .map((entry) => entry.keyType),
    ),
  ];
}

/** Reads known_hosts files; a missing file is empty. */
export function readKnownHosts(files: ReadonlyArray<string>): KnownHostEntry[] {
  return files.flatMap((file) => {
    try {
      return parseKnownHosts(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  });
}

/** Appends a newly accepted key (only with an explicit accept-new request). */
export function appendKnownHost(file: string, name: string, blob: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const existing = fs.readFileSync(file, 'utf8');
    if (existing !== '' && !existing.endsWith('\n')) prefix = '\n';
  } catch {
    /* a new file */
  }
  fs.appendFileSync(file, `${prefix}${name} ${keyBlobType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}
