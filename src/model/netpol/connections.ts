/**
 * Sets of connections: per protocol, a sorted list of disjoint inclusive port ranges. What a pair of endpoints may
 * use, as `netpol list` and `netpol diff` report it (netpol-analyzer's "TCP 80,UDP 53" / "All Connections").
 */
import { normalizeIntervals as normalize } from './addresses';
import { PROTOCOLS, Protocol } from './inventory';

/** An inclusive port range; merged like address intervals (addresses.ts normalizeIntervals). */
export type PortRange = readonly [number, number];
const FULL: PortRange = [1, 65535];

export class ConnectionSet {
  private constructor(private readonly ranges: ReadonlyMap<Protocol, readonly PortRange[]>) {}

  static none(): ConnectionSet {
    return new ConnectionSet(new Map());
  }
  static all(): ConnectionSet {
    return new ConnectionSet(new Map(PROTOCOLS.map((p) => [p, [FULL]])));
  }
  static ports(protocol: Protocol, start: number, end = start): ConnectionSet {
    return new ConnectionSet(new Map([[protocol, [[start, end] as PortRange]]]));
  }
  static allOf(protocol: Protocol): ConnectionSet {
    return ConnectionSet.ports(protocol, 1, 65535);
  }

  isEmpty(): boolean {
    return this.ranges.size === 0;
  }
  isAll(): boolean {
    return PROTOCOLS.every((p) => {
      const r = this.ranges.get(p);
      return r?.length === 1 && r[0][0] === 1 && r[0][1] === 65535;
    });
  }

  has(protocol: Protocol, port: number): boolean {
    return (this.ranges.get(protocol) ?? []).some(([a, b]) => port >= a && port <= b);
  }

  union(other: ConnectionSet): ConnectionSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    const out = new Map<Protocol, PortRange[]>();
    for (const p of PROTOCOLS) {
      const merged = normalize([...(this.ranges.get(p) ?? []), ...(other.ranges.get(p) ?? [])]);
      if (merged.length > 0) out.set(p, merged);
    }
    return new ConnectionSet(out);
  }

  intersect(other: ConnectionSet): ConnectionSet {
    const out = new Map<Protocol, PortRange[]>();
    for (const p of PROTOCOLS) {
      const a = this.ranges.get(p) ?? [];
      const b = other.ranges.get(p) ?? [];
      const both: PortRange[] = [];
      for (const [a0, a1] of a)
        for (const [b0, b1] of b) {
          const lo = Math.max(a0, b0);
          const hi = Math.min(a1, b1);
          if (lo <= hi) both.push([lo, hi]);
        }
      const merged = normalize(both);
      if (merged.length > 0) out.set(p, merged);
    }
    return new ConnectionSet(out);
  }

  /** What this set allows and `other` does not. */
  minus(other: ConnectionSet): ConnectionSet {
    const out = new Map<Protocol, PortRange[]>();
    for (const p of PROTOCOLS) {
      let rest: PortRange[] = [...(this.ranges.get(p) ?? [])];
      for (const [b0, b1] of other.ranges.get(p) ?? []) {
        rest = rest.flatMap(([a0, a1]): PortRange[] => {
          if (b1 < a0 || b0 > a1) return [[a0, a1]];
          const parts: PortRange[] = [];
          if (a0 < b0) parts.push([a0, b0 - 1]);
          if (b1 < a1) parts.push([b1 + 1, a1]);
          return parts;
        });
      }
      if (rest.length > 0) out.set(p, rest);
    }
    return new ConnectionSet(out);
  }

  equals(other: ConnectionSet): boolean {
    return this.toString() === other.toString();
  }

  /** Per protocol, its ranges (for JSON). */
  toJSON(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const p of PROTOCOLS) {
      const r = this.ranges.get(p);
      if (r) out[p] = r.map(rangeText);
    }
    return out;
  }

  /** `All Connections`, `No Connections`, or e.g. `TCP 80,8080-8090;UDP 53`. */
  toString(): string {
    if (this.isEmpty()) return 'No Connections';
    if (this.isAll()) return 'All Connections';
    return PROTOCOLS.filter((p) => this.ranges.has(p))
      .map((p) => `${p} ${this.ranges.get(p)!.map(rangeText).join(',')}`)
      .join(';');
  }
}

function rangeText([a, b]: PortRange): string {
  if (a === 1 && b === 65535) return '1-65535';
  return a === b ? String(a) : `${a}-${b}`;
}
