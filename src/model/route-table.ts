/**
 * A routing table as the kernel reads it, for the tracer (model/trace.ts), the lock-out guard (host/lockout.ts)
 * and diagnose (host/diagnose/net.ts):
 * - destinations in the kernel's own spelling (`default`, a bare address for a host route, else CIDR), so that two
 *   spellings of one route compare equal;
 * - the route the kernel picks for an address: longest prefix, then the lowest metric; a blackhole, unreachable,
 *   prohibit or throw route that wins drops the packet instead of falling back to a shorter prefix.
 * Both address families: the kernel keeps one table per family (`ip -4 route`, `ip -6 route`), so a table holds
 * the routes of one family and `default` means that family's 0/0. Addresses are bigints (IPv6 needs 128 bits).
 */
import { IPv4 } from 'ip-num';
import { ipv6Text, parseIpAddress } from './cidr';

export type Family = 4 | 6;

const BITS: Readonly<Record<Family, number>> = { 4: 32, 6: 128 };

/** An address of either family, as its integer value. */
export interface RouteAddress {
  readonly family: Family;
  readonly value: bigint;
}

/** A route destination: a network of one family, as integers, and its prefix length. */
export interface Destination {
  readonly family: Family;
  /** The network's first address. */
  readonly first: bigint;
  /** Its last address. */
  readonly last: bigint;
  readonly prefix: number;
}

/** Route types that drop what they match (`ip route add blackhole ...`): the kernel does not look further. */
const DROPPING: ReadonlySet<string> = new Set(['blackhole', 'unreachable', 'prohibit', 'throw']);

/** Mask of the network part of a `prefix` of `family`, per family and prefix (pure constants). */
const MASKS: Readonly<Record<Family, readonly bigint[]>> = {
  4: masks(32),
  6: masks(128),
};

function masks(bits: number): bigint[] {
  const all = (1n << BigInt(bits)) - 1n;
  return Array.from({ length: bits + 1 }, (_, prefix) => all ^ ((1n << BigInt(bits - prefix)) - 1n));
}

/** Parses an IPv4 or IPv6 address (`10.0.0.1`, `fd00::1`); undefined when it is neither. */
export function parseRouteAddress(text: string): RouteAddress | undefined {
  const parsed = parseIpAddress(text);
  return parsed.ok ? { family: parsed.value.family, value: parsed.value.value.getValue() } : undefined;
}

/**
 * Parses a route destination as `ip route` and the cluster file write it: `default` (0/0 of `family`), a bare
 * address (a host route), or a network in CIDR form with no host bits set. Undefined for anything else.
 */
export function parseDestination(text: string, family: Family = 4): Destination | undefined {
  if (text === 'default') return { family, first: 0n, last: MASKS[family][BITS[family]], prefix: 0 };
  const slash = text.indexOf('/');
  const address = parseRouteAddress(slash < 0 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const bits = BITS[address.family];
  let prefix = bits;
  if (slash >= 0) {
    const digits = text.slice(slash + 1);
    // iproute2 reads "024" as octal: only the canonical spelling is a prefix length.
    if (!/^(0|[1-9]\d{0,2})$/.test(digits) || Number(digits) > bits) return undefined;
    prefix = Number(digits);
  }
  const mask = MASKS[address.family][prefix];
  if ((address.value & mask) !== address.value) return undefined;
  return {
    family: address.family,
    first: address.value,
    last: address.value | (MASKS[address.family][bits] ^ mask),
    prefix,
  };
}

/** The text of an address value: dotted quad, or IPv6 in the kernel's compressed form. */
export function addressText(family: Family, value: bigint): string {
  return family === 4 ? IPv4.fromNumber(value).toString() : ipv6Text(value);
}

/** A destination in the kernel's spelling: `default` for 0/0, a bare address for a host route, else CIDR. */
export function destinationText(destination: Destination): string {
  if (destination.prefix === 0) return 'default';
  const address = addressText(destination.family, destination.first);
  return destination.prefix === BITS[destination.family] ? address : `${address}/${destination.prefix}`;
}

/**
 * A route destination in the kernel's own spelling, as `ip -j route` prints it: `default` for 0.0.0.0/0, a bare
 * address for a /32, otherwise the network in CIDR form. Two destinations are the same route exactly when these
 * are equal. Unparseable text is returned unchanged (validation reports it).
 */
export function canonicalRouteDestination(to: string, family: Family = 4): string {
  const destination = parseDestination(to, family);
  return destination ? destinationText(destination) : to;
}

/** True when `address` is of the destination's family and inside it. */
export function destinationContains(destination: Destination, address: RouteAddress): boolean {
  return (
    destination.family === address.family && destination.first <= address.value && address.value <= destination.last
  );
}

/** True when two destinations share an address (never across families). */
export function destinationsOverlap(a: Destination, b: Destination): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/** True when two destinations are the same network. */
export function sameDestination(a: Destination, b: Destination): boolean {
  return a.family === b.family && a.prefix === b.prefix && a.first === b.first;
}

/** One route of a table: what the caller keeps (`route`) and what the lookup reads. */
export interface TableEntry<R> {
  readonly route: R;
  readonly destination: Destination;
  /** 0 when the route has none, as the kernel. */
  readonly metric: number;
  /** `unicast` unless the route says otherwise (`blackhole`, `unreachable`, `prohibit`, `throw`...). */
  readonly type: string;
}

/** True for a route that drops what it matches (blackhole, unreachable, prohibit, throw). */
export function drops(entry: Pick<TableEntry<unknown>, 'type'>): boolean {
  return DROPPING.has(entry.type);
}

/** What a table needs to know of a route. */
export interface RouteKey {
  /** Destination text (`default`, an address, a CIDR) or an already parsed destination. */
  readonly dst: string | Destination;
  readonly metric?: number;
  readonly type?: string;
}

/**
 * The routes of one family and the kernel's choice among them. The index (one map per prefix length, longest
 * first) is built on the first lookup: a lookup costs one map probe per distinct prefix length, not one test per
 * route, and a table nobody asks is never indexed.
 */
export class RouteTable<R> {
  /** Reads `routes` with `key`; routes whose destination does not parse, or is of another family, are left out. */
  static of<R>(family: Family, routes: Iterable<R>, key: (route: R) => RouteKey): RouteTable<R> {
    const table = new RouteTable<R>(family);
    for (const route of routes) table.add(route, key(route));
    return table;
  }

  private readonly entries: TableEntry<R>[] = [];
  private index?: ReadonlyArray<{ readonly prefix: number; readonly networks: Map<bigint, TableEntry<R>> }>;

  constructor(readonly family: Family) {}

  /** Adds a route (ignored when its destination does not parse or is of another family). */
  add(route: R, key: RouteKey): void {
    const destination = typeof key.dst === 'string' ? parseDestination(key.dst, this.family) : key.dst;
    if (!destination || destination.family !== this.family) return;
    this.entries.push({ route, destination, metric: key.metric ?? 0, type: key.type ?? 'unicast' });
    this.index = undefined;
  }

  /** Every route, in the order added. */
  get routes(): ReadonlyArray<TableEntry<R>> {
    return this.entries;
  }

  /**
   * The route the kernel picks for `address`, whatever its type: the longest prefix that contains it, then the
   * lowest metric (of equals, the first added). Undefined when none contains it.
   */
  lookup(address: RouteAddress | bigint): TableEntry<R> | undefined {
    const value = typeof address === 'bigint' ? address : address.family === this.family ? address.value : undefined;
    if (value === undefined) return undefined;
    const masks = MASKS[this.family];
    for (const { prefix, networks } of this.indexed()) {
      const entry = networks.get(value & masks[prefix]);
      if (entry) return entry;
    }
    return undefined;
  }

  /** The route a packet to `address` leaves by: undefined when no route matches or the one that wins drops it. */
  deliver(address: RouteAddress | bigint): TableEntry<R> | undefined {
    const entry = this.lookup(address);
    return entry && !drops(entry) ? entry : undefined;
  }

  private indexed(): NonNullable<RouteTable<R>['index']> {
    if (this.index) return this.index;
    const byPrefix = new Map<number, Map<bigint, TableEntry<R>>>();
    for (const entry of this.entries) {
      const { prefix, first } = entry.destination;
      const networks = byPrefix.get(prefix) ?? new Map<bigint, TableEntry<R>>();
      byPrefix.set(prefix, networks);
      const known = networks.get(first);
      if (!known || entry.metric < known.metric) networks.set(first, entry);
    }
    this.index = [...byPrefix.entries()].sort(([a], [b]) => b - a).map(([prefix, networks]) => ({ prefix, networks }));
    return this.index;
  }
}
