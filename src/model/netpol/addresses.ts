/**
 * IPv4 address sets as sorted, disjoint, inclusive intervals of address values, for ipBlock (cidr minus except)
 * and the external ranges `netpol list` reports. Parsing and printing go through ip-num (../cidr.ts); the interval
 * algebra only compares and adds whole numbers.
 */
import { IPv4, RangedSet } from 'ip-num';
import { parseAddress, parseObjectCidr } from '../cidr';

export type Interval = readonly [number, number];
export const ALL_ADDRESSES: Interval = [0, 2 ** 32 - 1];

const networks = new Map<string, Interval | undefined>();
/**
 * An IPv4 CIDR's first and last address values, undefined for IPv6 (memoized: the same CIDRs recur across many
 * policies). Host bits are cleared, as the API server does (`10.1.2.3/8` is 10.0.0.0/8).
 */
export function cidrInterval(text: string): Interval | undefined {
  if (networks.has(text)) return networks.get(text);
  const parsed = parseObjectCidr(text);
  const range = parsed.ok && parsed.value.network.family === 4 ? parsed.value.network.value : undefined;
  const value: Interval | undefined = range
    ? [Number(range.getFirst().getValue()), Number(range.getLast().getValue())]
    : undefined;
  if (networks.size > 10000) networks.clear();
  networks.set(text, value);
  return value;
}

/** An address's value, or undefined when it is not an IPv4 address. */
export function addressValue(text: string): number | undefined {
  const parsed = parseAddress(text);
  return parsed.ok ? Number(parsed.value.getValue()) : undefined;
}

export function normalizeIntervals(list: readonly Interval[]): Interval[] {
  const sorted = [...list].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** `from` minus every interval of `remove`. */
export function subtractIntervals(from: readonly Interval[], remove: readonly Interval[]): Interval[] {
  let rest: Interval[] = normalizeIntervals(from);
  for (const [b0, b1] of remove) {
    rest = rest.flatMap(([a0, a1]): Interval[] => {
      if (b1 < a0 || b0 > a1) return [[a0, a1]];
      const parts: Interval[] = [];
      if (a0 < b0) parts.push([a0, b0 - 1]);
      if (b1 < a1) parts.push([b1 + 1, a1]);
      return parts;
    });
  }
  return rest;
}

export function intervalsContain(set: readonly Interval[], value: number): boolean {
  return set.some(([a, b]) => value >= a && value <= b);
}

/** True when every address of `inner` lies in `outer` (both normalized). */
export function intervalsCover(outer: readonly Interval[], inner: readonly Interval[]): boolean {
  return subtractIntervals(inner, outer).length === 0;
}

/** An interval as a CIDR when it is exactly one (`10.0.0.0/24`), else as a range (`10.0.0.5-10.0.0.9`). */
export function intervalText([a, b]: Interval): string {
  const range = new RangedSet(new IPv4(BigInt(a)), new IPv4(BigInt(b)));
  if (range.isCidrAble()) return range.toCidrRange().toCidrString();
  return `${new IPv4(BigInt(a)).toString()}-${new IPv4(BigInt(b)).toString()}`;
}
