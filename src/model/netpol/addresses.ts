/**
 * Address sets as sorted, disjoint, inclusive intervals of address values, one list per family: IPv4 values are
 * numbers, IPv6 values bigints (128 bits do not fit a double). For ipBlock (cidr minus except) and the external
 * ranges `netpol list` reports. Parsing and printing go through ip-num (../cidr.ts); the interval algebra only
 * compares and adds whole numbers, the same code for ports, IPv4 and IPv6.
 */
import { IPv4, RangedSet } from 'ip-num';
import { ipv6Text, parseIpAddress, parseObjectCidr } from '../cidr';

export type Family = 4 | 6;
export const FAMILIES: readonly Family[] = [4, 6];
type Value = number | bigint;
/** An inclusive interval of values of one kind: ports and IPv4 addresses (numbers), IPv6 addresses (bigints). */
export type Span<V extends Value = Value> = readonly [V, V];

const ALL_IPV4: Span<number> = [0, 2 ** 32 - 1];
const ALL_IPV6: Span<bigint> = [0n, 2n ** 128n - 1n];
/** Every address of a family (0.0.0.0/0, ::/0). */
export const everyAddress = (family: Family): Span => (family === 4 ? ALL_IPV4 : ALL_IPV6);

/** A network or an address: its family and its values. */
export interface FamilySpan {
  readonly family: Family;
  readonly span: Span;
}

const networks = new Map<string, FamilySpan | undefined>();
/**
 * A CIDR's family and first and last address values, undefined when it does not parse (memoized: the same CIDRs
 * recur across many policies). Host bits are cleared, as the API server does (`10.1.2.3/8` is 10.0.0.0/8).
 */
export function cidrRange(text: string): FamilySpan | undefined {
  if (networks.has(text)) return networks.get(text);
  const parsed = parseObjectCidr(text);
  let value: FamilySpan | undefined;
  if (parsed.ok) {
    const network = parsed.value.network;
    value =
      network.family === 4
        ? {
            family: 4,
            span: [Number(network.value.getFirst().getValue()), Number(network.value.getLast().getValue())],
          }
        : { family: 6, span: [network.value.getFirst().getValue(), network.value.getLast().getValue()] };
  }
  if (networks.size > 10000) networks.clear();
  networks.set(text, value);
  return value;
}

/** An address's family and value (any IPv6 spelling), or undefined when it is not an IP address. */
export function addressValue(text: string): { readonly family: Family; readonly value: Value } | undefined {
  const parsed = parseIpAddress(text);
  if (!parsed.ok) return undefined;
  return parsed.value.family === 4
    ? { family: 4, value: Number(parsed.value.value.getValue()) }
    : { family: 6, value: parsed.value.value.getValue() };
}

const next = <V extends Value>(v: V): V => (typeof v === 'bigint' ? v + 1n : (v as number) + 1) as V;
const previous = <V extends Value>(v: V): V => (typeof v === 'bigint' ? v - 1n : (v as number) - 1) as V;

export function normalizeIntervals<V extends Value>(list: readonly Span<V>[]): Array<[V, V]> {
  const sorted = [...list].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Array<[V, V]> = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (!last || a > next(last[1])) out.push([a, b]);
    else if (b > last[1]) last[1] = b;
  }
  return out;
}

/** `from` minus every interval of `remove`. */
export function subtractIntervals<V extends Value>(from: readonly Span<V>[], remove: readonly Span<V>[]): Span<V>[] {
  let rest: Span<V>[] = normalizeIntervals(from);
  for (const [b0, b1] of remove) {
    rest = rest.flatMap(([a0, a1]): Span<V>[] => {
      if (b1 < a0 || b0 > a1) return [[a0, a1]];
      const parts: Span<V>[] = [];
      if (a0 < b0) parts.push([a0, previous(b0)]);
      if (b1 < a1) parts.push([next(b1), a1]);
      return parts;
    });
  }
  return rest;
}

export function intervalsContain<V extends Value>(set: readonly Span<V>[], value: V): boolean {
  return set.some(([a, b]) => value >= a && value <= b);
}

/** True when every address of `inner` lies in `outer` (both normalized). */
export function intervalsCover<V extends Value>(outer: readonly Span<V>[], inner: readonly Span<V>[]): boolean {
  return subtractIntervals(inner, outer).length === 0;
}

/**
 * An interval of a family as a CIDR when it is exactly one (`10.0.0.0/24`, `fd00::/64`), else as a range
 * (`10.0.0.5-10.0.0.9`); IPv6 in canonical form (RFC 5952).
 */
export function intervalText(family: Family, [a, b]: Span): string {
  if (family === 4) {
    const range = new RangedSet(new IPv4(BigInt(a)), new IPv4(BigInt(b)));
    if (range.isCidrAble()) return range.toCidrRange().toCidrString();
    return `${new IPv4(BigInt(a)).toString()}-${new IPv4(BigInt(b)).toString()}`;
  }
  const first = BigInt(a);
  const last = BigInt(b);
  const size = last - first + 1n;
  // A CIDR: the size is a power of two and the first address is aligned to it.
  if ((size & (size - 1n)) === 0n && first % size === 0n) {
    const hostBits = size.toString(2).length - 1;
    return `${ipv6Text(first)}/${128 - hostBits}`;
  }
  return `${ipv6Text(first)}-${ipv6Text(last)}`;
}

/** The text of an address value of a family (canonical for IPv6). */
export function addressText(family: Family, value: Value): string {
  return family === 4 ? IPv4.fromNumber(BigInt(value)).toString() : ipv6Text(BigInt(value));
}
