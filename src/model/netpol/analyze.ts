/**
 * NetworkPolicy semantics of networking.k8s.io/v1, evaluated over an Inventory. Section names in comments refer to
 * https://kubernetes.io/docs/concepts/services-networking/network-policies/ ("the docs").
 *
 * - Isolation is per direction ("The two sorts of pod isolation"): a pod is isolated for ingress (egress) when a
 *   policy selecting it has Ingress (Egress) among its policyTypes; otherwise everything is allowed that way.
 * - policyTypes, when absent or empty, is Ingress, plus Egress when `egress` has at least one rule (the API
 *   server's defaulting; "The NetworkPolicy resource").
 * - What an isolated pod may do is the union of the rules of every policy applying to it in that direction.
 * - A rule allows traffic matching one of its peers (OR) and one of its ports (OR); an absent or empty `from`/`to`
 *   matches every peer, absent or empty `ports` every port. Inside one peer, namespaceSelector and podSelector are
 *   ANDed; a podSelector alone means the policy's namespace, a namespaceSelector alone every pod of the selected
 *   namespaces, `{}` everything ("Behavior of to and from selectors").
 * - A port entry: protocol (default TCP), a number (with endPort, a range) or a name resolved through the
 *   destination pod's container ports; no port means every port of the protocol ("Targeting a range of ports").
 * - A connection needs the source's egress AND the destination's ingress to allow it.
 * - A pod cannot block access to itself (overview): a bare Pod always reaches itself. Replicas of one controller are
 *   different pods, so for them the policies decide.
 *
 * ipBlock and pods (the docs leave it implementation-defined, "Behavior of ipBlock selectors"): an ipBlock matches a
 * workload when every known pod IP of it lies in the cidr and outside every except; a workload without known IPs
 * is matched only by an ipBlock that covers every address its pods could have (the pod CIDR when known, else all
 * of IPv4 - e.g. 0.0.0.0/0). This is what the upstream e2e tests expect of ipBlocks naming pod IPs. Addresses are
 * IPv4. hostNetwork pods are not analysed (NetworkPolicies do not apply to the host network namespace).
 */
import {
  ALL_ADDRESSES,
  Interval,
  addressValue,
  cidrInterval,
  intervalsContain,
  intervalsCover,
  normalizeIntervals,
  subtractIntervals,
} from './addresses';
import { ConnectionSet } from './connections';
import { compileSelector, Inventory, Policy, PolicyPort, Protocol, Workload } from './inventory';
import type { NetworkPolicyPeerSpec } from '../checks/network-policy';

// ---------------------------------------------------------------------------------------------------------------
// Bit sets of workload indexes

type Bits = Uint32Array;
const words = (n: number) => Math.ceil(n / 32) || 1;
const newBits = (n: number) => new Uint32Array(words(n));
const hasBit = (bits: Bits, i: number) => (bits[i >>> 5] & (1 << (i & 31))) !== 0;
const setBit = (bits: Bits, i: number) => {
  bits[i >>> 5] |= 1 << (i & 31);
};
function fullBits(n: number): Bits {
  const bits = newBits(n);
  for (let i = 0; i < n; i++) setBit(bits, i);
  return bits;
}
function orInto(target: Bits, source: Bits): void {
  for (let i = 0; i < target.length; i++) target[i] |= source[i];
}
function andBits(a: Bits, b: Bits): Bits {
  const out = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] & b[i];
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Compiled policies

/** Where a rule or peer is in its policy, for --explain: `ingress[0].from[1]`. */
export interface RuleRef {
  readonly policy: Policy;
  readonly direction: 'ingress' | 'egress';
  readonly rule: number;
  /** Index of the peer that matched; undefined when the rule has no from/to (every peer). */
  readonly peer?: number;
}

export function ruleRefText(ref: RuleRef): string {
  const peers = ref.direction === 'ingress' ? 'from' : 'to';
  return (
    `NetworkPolicy ${ref.policy.namespace}/${ref.policy.name} ${ref.direction}[${ref.rule}]` +
    (ref.peer === undefined
      ? ` (every ${ref.direction === 'ingress' ? 'source' : 'destination'})`
      : `.${peers}[${ref.peer}]`)
  );
}

interface CompiledPeer {
  /** Workloads matched. */
  readonly pods: Bits;
  /** Addresses matched (ipBlock only), normalized. */
  readonly addresses: readonly Interval[];
}

type CompiledPort =
  | { readonly protocol: Protocol; readonly start: number; readonly end: number }
  | { readonly protocol: Protocol; readonly name: string };

interface CompiledRule {
  readonly index: number;
  /** undefined: every peer (from/to absent or empty). */
  readonly peers?: readonly CompiledPeer[];
  /** Union of the peers' workloads (all of them when `peers` is undefined). */
  readonly pods: Bits;
  /** undefined: every port. */
  readonly ports?: readonly CompiledPort[];
}

interface CompiledPolicy {
  readonly policy: Policy;
  readonly selected: Bits;
  readonly selectedList: readonly number[];
  readonly ingress?: readonly CompiledRule[];
  readonly egress?: readonly CompiledRule[];
}

/** One side of a connection: a workload (by index) or an address outside the analysed workloads. */
export type Endpoint = { readonly workload: number } | { readonly address: number; readonly text: string };

export interface DirectionVerdict {
  /** False: no policy applies to this side in this direction, so everything is allowed. */
  readonly isolated: boolean;
  /** The policies that apply (select the pod with this policy type). */
  readonly policies: readonly Policy[];
  /** The rules (and peers) that allow the connection. */
  readonly allowedBy: readonly RuleRef[];
  readonly allowed: boolean;
  /** Set when the side is not a pod, so no policy of this direction can apply. */
  readonly notAPod?: boolean;
}

export interface Verdict {
  readonly allowed: boolean;
  /** The source's egress. */
  readonly egress: DirectionVerdict;
  /** The destination's ingress. */
  readonly ingress: DirectionVerdict;
  /** Set when the answer is fixed by a rule above the policies (a pod reaching itself). */
  readonly note?: string;
}

export class NetpolAnalysis {
  readonly workloads: readonly Workload[];
  private readonly n: number;
  private readonly all: Bits;
  private readonly compiled: CompiledPolicy[];
  /** Per workload, the policies applying to it for ingress / egress (indexes into compiled). */
  private readonly ingressOf: number[][];
  private readonly egressOf: number[][];
  private readonly indexByKey: Map<string, number>;
  private readonly workloadAddresses: Array<readonly Interval[]>;
  /** Addresses a pod could have: the pod CIDR when known, else all of IPv4. */
  private readonly podSpace: readonly Interval[];

  constructor(readonly inventory: Inventory) {
    this.workloads = inventory.workloads;
    this.n = this.workloads.length;
    this.all = fullBits(this.n);
    this.indexByKey = new Map(this.workloads.map((w, i) => [w.key, i]));
    this.podSpace =
      inventory.podCidr && cidrInterval(inventory.podCidr) ? [cidrInterval(inventory.podCidr)!] : [ALL_ADDRESSES];
    this.workloadAddresses = this.workloads.map((w) =>
      normalizeIntervals(
        w.ips.flatMap((ip) => {
          const v = addressValue(ip);
          return v === undefined ? [] : [[v, v] as Interval];
        }),
      ),
    );

    // Workloads by namespace, with the namespace's labels: selectors are evaluated once per namespace.
    const byNamespace = new Map<string, number[]>();
    this.workloads.forEach((w, i) => {
      if (!byNamespace.has(w.namespace)) byNamespace.set(w.namespace, []);
      byNamespace.get(w.namespace)!.push(i);
    });
    const namespaceLabels = (ns: string) => inventory.namespaces.get(ns) ?? {};
    // Compiled once per selector text for this analysis (peers differing only in their podSelector share it).
    const namespaceMatchers = new Map<string, ReturnType<typeof compileSelector>>();
    const namespaceMatcher = (selector: object) => {
      const key = JSON.stringify(selector);
      const match = namespaceMatchers.get(key) ?? compileSelector(selector);
      namespaceMatchers.set(key, match);
      return (ns: string) => match(namespaceLabels(ns));
    };

    const peerCache = new Map<string, CompiledPeer>();
    const compilePeer = (peer: NetworkPolicyPeerSpec, policyNamespace: string): CompiledPeer => {
      const cacheKey = `${peer.ipBlock ? '' : policyNamespace} ${JSON.stringify(peer)}`;
      const cached = peerCache.get(cacheKey);
      if (cached) return cached;
      const pods = newBits(this.n);
      let addresses: Interval[] = [];
      if (peer.ipBlock) {
        const cidr = cidrInterval(peer.ipBlock.cidr);
        const except = (peer.ipBlock.except ?? []).map(cidrInterval).filter((x): x is Interval => x !== undefined);
        addresses = cidr ? subtractIntervals([cidr], except) : [];
        const coversPods = intervalsCover(addresses, this.podSpace);
        this.workloadAddresses.forEach((ips, i) => {
          if (ips.length > 0 ? intervalsCover(addresses, ips) : coversPods) setBit(pods, i);
        });
      } else {
        const podMatch = compileSelector(peer.podSelector ?? {});
        const namespaces = peer.namespaceSelector
          ? [...byNamespace.keys()].filter(namespaceMatcher(peer.namespaceSelector))
          : [policyNamespace];
        for (const ns of namespaces) {
          for (const i of byNamespace.get(ns) ?? []) if (podMatch(this.workloads[i].labels)) setBit(pods, i);
        }
      }
      const compiled = { pods, addresses };
      peerCache.set(cacheKey, compiled);
      return compiled;
    };
    const compileRules = (
      rules: ReadonlyArray<{ ports?: ReadonlyArray<PolicyPort> }>,
      field: 'from' | 'to',
      ns: string,
    ) =>
      rules.map((rule, index): CompiledRule => {
        const peerSpecs = (rule as Record<string, ReadonlyArray<NetworkPolicyPeerSpec> | undefined>)[field];
        const peers = peerSpecs && peerSpecs.length > 0 ? peerSpecs.map((p) => compilePeer(p, ns)) : undefined;
        let pods = this.all;
        if (peers) {
          pods = newBits(this.n);
          for (const p of peers) orInto(pods, p.pods);
        }
        const ports = rule.ports && rule.ports.length > 0 ? rule.ports.map(compilePort) : undefined;
        return { index, peers, pods, ports };
      });

    this.compiled = inventory.policies.map((policy) => {
      const selected = newBits(this.n);
      const selectedList: number[] = [];
      const match = compileSelector(policy.spec.podSelector);
      for (const i of byNamespace.get(policy.namespace) ?? []) {
        if (match(this.workloads[i].labels)) {
          setBit(selected, i);
          selectedList.push(i);
        }
      }
      const types = effectivePolicyTypes(policy);
      return {
        policy,
        selected,
        selectedList,
        ingress: types.includes('Ingress')
          ? compileRules(policy.spec.ingress ?? [], 'from', policy.namespace)
          : undefined,
        egress: types.includes('Egress') ? compileRules(policy.spec.egress ?? [], 'to', policy.namespace) : undefined,
      };
    });
    this.ingressOf = this.workloads.map(() => []);
    this.egressOf = this.workloads.map(() => []);
    this.compiled.forEach((c, p) => {
      for (const i of c.selectedList) {
        if (c.ingress) this.ingressOf[i].push(p);
        if (c.egress) this.egressOf[i].push(p);
      }
    });
  }

  /** The workload index of `NS/NAME` (or `NS/KIND/NAME`), or of a known pod IP. */
  findWorkload(key: string): number | undefined {
    const found = this.indexByKey.get(key);
    if (found !== undefined) return found;
    // NS/NAME of a name two kinds share is ambiguous; NS/KIND/NAME is case-insensitive on the kind.
    const parts = key.split('/');
    if (parts.length === 3) {
      const i = this.workloads.findIndex(
        (w) => w.namespace === parts[0] && w.kind.toLowerCase() === parts[1].toLowerCase() && w.name === parts[2],
      );
      return i < 0 ? undefined : i;
    }
    return undefined;
  }

  /** Workload indexes whose name is NS/NAME but whose key carries the kind (for a helpful error). */
  candidates(key: string): string[] {
    const [ns, name] = key.split('/');
    return this.workloads.filter((w) => w.namespace === ns && w.name === name).map((w) => w.key);
  }

  /** The workload that owns a pod IP, if any. */
  workloadOfAddress(value: number): number | undefined {
    const i = this.workloadAddresses.findIndex((ips) => intervalsContain(ips, value));
    return i < 0 ? undefined : i;
  }

  /** Policies (with their selected workloads) for lints. */
  policySelections(): Array<{ policy: Policy; selected: readonly number[] }> {
    return this.compiled.map((c) => ({ policy: c.policy, selected: c.selectedList }));
  }

  isIsolated(i: number, direction: 'ingress' | 'egress'): boolean {
    return (direction === 'ingress' ? this.ingressOf : this.egressOf)[i].length > 0;
  }

  // -------------------------------------------------------------------------------------------------------------
  // One connection

  /** Whether `from` may open a connection to `to` on port/protocol, with the policies and rules deciding it. */
  can(from: Endpoint, to: Endpoint, port: number, protocol: Protocol): Verdict {
    const egress = this.side(from, to, port, protocol, 'egress');
    const ingress = this.side(to, from, port, protocol, 'ingress');
    if (
      'workload' in from &&
      'workload' in to &&
      from.workload === to.workload &&
      this.workloads[from.workload].kind === 'Pod'
    ) {
      return { allowed: true, egress, ingress, note: 'a pod cannot block access to itself' };
    }
    return { allowed: egress.allowed && ingress.allowed, egress, ingress };
  }

  /** The verdict of one side: `self`'s policies in `direction`, about traffic with `other`. */
  private side(
    self: Endpoint,
    other: Endpoint,
    port: number,
    protocol: Protocol,
    direction: 'ingress' | 'egress',
  ): DirectionVerdict {
    if (!('workload' in self)) return { isolated: false, policies: [], allowedBy: [], allowed: true, notAPod: true };
    const applying = (direction === 'ingress' ? this.ingressOf : this.egressOf)[self.workload];
    if (applying.length === 0) return { isolated: false, policies: [], allowedBy: [], allowed: true };
    // Named ports resolve through the destination: the pod itself for ingress, the other end for egress.
    const destination = direction === 'ingress' ? self : other;
    const allowedBy: RuleRef[] = [];
    for (const p of applying) {
      const c = this.compiled[p];
      (c[direction] ?? []).forEach((rule) => {
        if (!this.portsMatch(rule.ports, port, protocol, destination)) return;
        if (!rule.peers) {
          allowedBy.push({ policy: c.policy, direction, rule: rule.index });
          return;
        }
        rule.peers.forEach((peer, j) => {
          const hit =
            'workload' in other ? hasBit(peer.pods, other.workload) : intervalsContain(peer.addresses, other.address);
          if (hit) allowedBy.push({ policy: c.policy, direction, rule: rule.index, peer: j });
        });
      });
    }
    return {
      isolated: true,
      policies: applying.map((p) => this.compiled[p].policy),
      allowedBy,
      allowed: allowedBy.length > 0,
    };
  }

  private portsMatch(
    ports: readonly CompiledPort[] | undefined,
    port: number,
    protocol: Protocol,
    destination: Endpoint,
  ): boolean {
    if (!ports) return true;
    return ports.some((entry) => {
      if (entry.protocol !== protocol) return false;
      if ('name' in entry) {
        if (!('workload' in destination)) return false;
        return this.workloads[destination.workload].ports.some(
          (cp) => cp.name === entry.name && cp.protocol === protocol && cp.port === port,
        );
      }
      return port >= entry.start && port <= entry.end;
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Every pair of workloads, one port

  /** matrix[s][d]: may workload s open a connection to workload d on port/protocol. */
  matrix(port: number, protocol: Protocol): boolean[][] {
    const n = this.n;
    // Destinations having a named port `name` with this number and protocol.
    const named = new Map<string, Bits>();
    const namedSet = (name: string): Bits => {
      let bits = named.get(name);
      if (!bits) {
        bits = newBits(n);
        this.workloads.forEach((w, i) => {
          if (w.ports.some((cp) => cp.name === name && cp.protocol === protocol && cp.port === port)) setBit(bits!, i);
        });
        named.set(name, bits);
      }
      return bits;
    };
    // Egress: per source, the destinations its policies allow (a rule's peers ∩ destinations its ports fit).
    const egress: Array<Bits | undefined> = new Array(n);
    const egressRuleSets = new Map<CompiledRule, Bits | undefined>();
    const egressRuleSet = (rule: CompiledRule): Bits | undefined => {
      if (egressRuleSets.has(rule)) return egressRuleSets.get(rule);
      let result: Bits | undefined;
      if (!rule.ports) result = rule.pods;
      else {
        let numeric = false;
        const byName = newBits(n);
        for (const entry of rule.ports) {
          if (entry.protocol !== protocol) continue;
          if ('name' in entry) orInto(byName, namedSet(entry.name));
          else if (port >= entry.start && port <= entry.end) numeric = true;
        }
        result = numeric ? rule.pods : andBits(rule.pods, byName);
      }
      egressRuleSets.set(rule, result);
      return result;
    };
    for (let s = 0; s < n; s++) {
      if (this.egressOf[s].length === 0) continue;
      const bits = newBits(n);
      for (const p of this.egressOf[s])
        for (const rule of this.compiled[p].egress!) {
          const set = egressRuleSet(rule);
          if (set) orInto(bits, set);
        }
      egress[s] = bits;
    }
    // Ingress: per destination, the sources its policies allow (rules whose ports fit this destination).
    const ingress: Array<Bits | undefined> = new Array(n);
    for (let d = 0; d < n; d++) {
      if (this.ingressOf[d].length === 0) continue;
      const bits = newBits(n);
      const self: Endpoint = { workload: d };
      for (const p of this.ingressOf[d])
        for (const rule of this.compiled[p].ingress!) {
          if (this.portsMatch(rule.ports, port, protocol, self)) orInto(bits, rule.pods);
        }
      ingress[d] = bits;
    }
    const out: boolean[][] = [];
    for (let s = 0; s < n; s++) {
      const row: boolean[] = new Array(n);
      const e = egress[s];
      for (let d = 0; d < n; d++) {
        const i = ingress[d];
        row[d] = (e === undefined || hasBit(e, d)) && (i === undefined || hasBit(i, s));
      }
      if (this.workloads[s].kind === 'Pod') row[s] = true;
      out.push(row);
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Every port: connection sets

  /** Everything `s` may open to `d` (per protocol and port). */
  connections(s: number, d: number): ConnectionSet {
    if (s === d && this.workloads[s].kind === 'Pod') return ConnectionSet.all();
    const egress =
      this.egressOf[s].length === 0
        ? ConnectionSet.all()
        : this.union(
            this.egressOf[s],
            'egress',
            (peer) => hasBit(peer.pods, d),
            (rule) => hasBit(rule.pods, d),
            d,
          );
    if (egress.isEmpty()) return egress;
    const ingress =
      this.ingressOf[d].length === 0
        ? ConnectionSet.all()
        : this.union(
            this.ingressOf[d],
            'ingress',
            (peer) => hasBit(peer.pods, s),
            (rule) => hasBit(rule.pods, s),
            d,
          );
    return egress.intersect(ingress);
  }

  /** Union of the ports of the rules (of these policies, this direction) whose peers admit the other end. */
  private union(
    policies: readonly number[],
    direction: 'ingress' | 'egress',
    peerHit: (p: CompiledPeer) => boolean,
    ruleHit: (r: CompiledRule) => boolean,
    destination: number | undefined,
  ): ConnectionSet {
    let set = ConnectionSet.none();
    for (const p of policies)
      for (const rule of this.compiled[p][direction]!) {
        if (rule.peers ? !rule.peers.some(peerHit) : !ruleHit(rule)) continue;
        set = set.union(this.portSet(rule.ports, destination));
        if (set.isAll()) return set;
      }
    return set;
  }

  private portSet(ports: readonly CompiledPort[] | undefined, destination: number | undefined): ConnectionSet {
    if (!ports) return ConnectionSet.all();
    let set = ConnectionSet.none();
    for (const entry of ports) {
      if ('name' in entry) {
        if (destination === undefined) continue;
        for (const cp of this.workloads[destination].ports) {
          if (cp.name === entry.name && cp.protocol === entry.protocol)
            set = set.union(ConnectionSet.ports(cp.protocol, cp.port));
        }
      } else set = set.union(ConnectionSet.ports(entry.protocol, entry.start, entry.end));
    }
    return set;
  }

  /**
   * The addresses outside the workloads that `i` may reach (egress) or be reached from (ingress), with the
   * connections for each: disjoint intervals, adjacent ones with equal connections merged. Pod addresses (the pod
   * CIDR when known) are left out: pods are the workloads.
   */
  external(i: number, direction: 'ingress' | 'egress'): Array<{ addresses: Interval[]; connections: ConnectionSet }> {
    const outside = subtractIntervals([ALL_ADDRESSES], this.inventory.podCidr ? this.podSpace : []);
    const policies = (direction === 'ingress' ? this.ingressOf : this.egressOf)[i];
    if (policies.length === 0) return [{ addresses: outside, connections: ConnectionSet.all() }];
    // Cut the space at every boundary of every ipBlock involved; each piece is then all-in or all-out of each block.
    const cuts = new Set<number>([0, ALL_ADDRESSES[1] + 1]);
    const rules = policies.flatMap((p) => this.compiled[p][direction]!);
    for (const rule of rules)
      for (const peer of rule.peers ?? [])
        for (const [a, b] of peer.addresses) {
          cuts.add(a);
          cuts.add(b + 1);
        }
    const points = [...cuts].sort((a, b) => a - b);
    const pieces: Array<{ addresses: Interval[]; connections: ConnectionSet }> = [];
    for (let k = 0; k + 1 < points.length; k++) {
      const start = points[k];
      const end = points[k + 1] - 1;
      const inside = subtractIntervals([[start, end]], subtractIntervals([[start, end]], outside));
      if (inside.length === 0) continue;
      let set = ConnectionSet.none();
      for (const rule of rules) {
        if (rule.peers && !rule.peers.some((peer) => intervalsContain(peer.addresses, start))) continue;
        set = set.union(this.portSet(rule.ports, direction === 'ingress' ? i : undefined));
      }
      if (set.isEmpty()) continue;
      const last = pieces[pieces.length - 1];
      if (last && last.connections.equals(set) && last.addresses[last.addresses.length - 1][1] + 1 === inside[0][0]) {
        last.addresses = normalizeIntervals([...last.addresses, ...inside]);
      } else pieces.push({ addresses: inside, connections: set });
    }
    return pieces;
  }
}

/** policyTypes (defaulted as the API server does when the policy was read: inventory.ts apiServerPolicySpec). */
export function effectivePolicyTypes(policy: Policy): ReadonlyArray<'Ingress' | 'Egress'> {
  return policy.spec.policyTypes;
}

function compilePort(entry: PolicyPort): CompiledPort {
  const protocol = entry.protocol;
  if (entry.port === undefined) return { protocol, start: 1, end: 65535 };
  if (typeof entry.port === 'string') return { protocol, name: entry.port };
  return { protocol, start: entry.port, end: entry.endPort ?? entry.port };
}

/** Parses a `can` endpoint: a workload key, or an IPv4 address (a known pod IP resolves to its workload). */
export function resolveEndpoint(
  analysis: NetpolAnalysis,
  text: string,
): { endpoint?: Endpoint; error?: string; via?: string } {
  const value = addressValue(text);
  if (value !== undefined) {
    const owner = analysis.workloadOfAddress(value);
    if (owner !== undefined)
      return { endpoint: { workload: owner }, via: `${text} is a pod IP of ${analysis.workloads[owner].key}` };
    return { endpoint: { address: value, text } };
  }
  const i = analysis.findWorkload(text);
  if (i !== undefined) return { endpoint: { workload: i } };
  const candidates = analysis.candidates(text);
  if (candidates.length > 0)
    return {
      error: `${JSON.stringify(text)} is ambiguous: two kinds share the name; use one of ${candidates.join(', ')}`,
    };
  return {
    error: `no workload ${JSON.stringify(text)} (expected NS/NAME, NS/KIND/NAME or an IPv4 address; known: ${analysis.workloads
      .slice(0, 8)
      .map((w) => w.key)
      .join(', ')}${analysis.workloads.length > 8 ? ', ...' : ''})`,
  };
}
