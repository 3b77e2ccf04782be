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
 * of the family - e.g. 0.0.0.0/0). This is what the upstream e2e tests expect of ipBlocks naming pod IPs.
 * hostNetwork pods are not analysed (NetworkPolicies do not apply to the host network namespace).
 *
 * IPv4 and IPv6: a connection has one family, and an ipBlock speaks only of addresses of its own family (a peer
 * 0.0.0.0/0 admits no IPv6 address). The analysis' families are the cluster file's pod ranges' when one is read,
 * else those the input shows (inputFamilies). Every workload has every family of the
 * analysis (its known addresses of a family, else that family's pod space), and two workloads may connect when
 * they may over at least one family; `can` names the family when the families differ. Input without IPv6 is
 * analysed over IPv4 alone, exactly as before.
 */
import {
  addressText,
  addressValue,
  cidrRange,
  everyAddress,
  FAMILIES,
  type Family,
  type FamilySpan,
  intervalsContain,
  intervalsCover,
  normalizeIntervals,
  type Span,
  subtractIntervals,
} from './addresses';
import { ConnectionSet } from './connections';
import { compileSelector, Inventory, Policy, PolicyPort, Protocol, Workload } from './inventory';
import type { NetworkPolicyPeerSpec } from '../checks/network-policy';
import { parseIpAddress } from '../cidr';

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
  /** Workloads matched (by an ipBlock: over its family). */
  readonly pods: Bits;
  /** An ipBlock's family; undefined for a selector, which matches pods whatever the family. */
  readonly family?: Family;
  /** Addresses matched (ipBlock only, of its family), normalized. */
  readonly addresses: readonly Span[];
}

/** Per family, a set of workloads (one object for both when the family does not matter). */
type FamilyBits = Readonly<Record<Family, Bits>>;

type CompiledPort =
  | { readonly protocol: Protocol; readonly start: number; readonly end: number }
  | { readonly protocol: Protocol; readonly name: string };

interface CompiledRule {
  readonly index: number;
  /** undefined: every peer (from/to absent or empty). */
  readonly peers?: readonly CompiledPeer[];
  /** Per family, the union of the peers' workloads (all of them when `peers` is undefined). */
  readonly pods: FamilyBits;
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

/**
 * One side of a connection: a workload (by index; with the family of the pod IP it was named by) or an address
 * outside the analysed workloads (an IPv4 address as a number, an IPv6 address as a bigint; `text` canonical).
 */
export type Endpoint =
  | { readonly workload: number; readonly family?: Family }
  | { readonly address: number | bigint; readonly text: string };

/** The family of a connection an endpoint fixes: an address's, or the pod IP's a workload was named by. */
function endpointFamily(endpoint: Endpoint): Family | undefined {
  if ('workload' in endpoint) return endpoint.family;
  return typeof endpoint.address === 'bigint' ? 6 : 4;
}

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
  /**
   * Set when two workloads were asked about and the families answer differently: each family's verdict (the
   * verdict itself is the first allowing family's).
   */
  readonly byFamily?: ReadonlyArray<{ readonly family: Family; readonly verdict: Verdict }>;
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
  /** Per workload and family, its known pod addresses (normalized). */
  private readonly workloadAddresses: Array<Record<Family, Span[]>>;
  /** Per family, the pod CIDR when the input gave one. */
  private readonly podCidrs: Readonly<Partial<Record<Family, Span>>>;
  /** The families analysed, the primary (the cluster's first pod range) first. */
  readonly families: readonly Family[];
  /**
   * The families whose answers are computed: one when no ipBlock is involved (the families then agree), else
   * every family.
   */
  private readonly passes: readonly Family[];

  constructor(readonly inventory: Inventory) {
    this.workloads = inventory.workloads;
    this.n = this.workloads.length;
    this.all = fullBits(this.n);
    this.indexByKey = new Map(this.workloads.map((w, i) => [w.key, i]));
    const podRanges = (inventory.podCidrs ?? (inventory.podCidr ? [inventory.podCidr] : []))
      .map((text) => cidrRange(text))
      .filter((r): r is FamilySpan => r !== undefined);
    this.podCidrs = Object.fromEntries(podRanges.map((r) => [r.family, r.span]));
    this.workloadAddresses = this.workloads.map((w) => {
      const known: Record<Family, Span[]> = { 4: [], 6: [] };
      for (const ip of w.ips) {
        const v = addressValue(ip);
        if (v) known[v.family].push([v.value, v.value]);
      }
      return { 4: normalizeIntervals(known[4]), 6: normalizeIntervals(known[6]) };
    });
    this.families = podRanges.length > 0 ? [...new Set(podRanges.map((r) => r.family))] : this.inputFamilies();

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
    let ipBlocks = false;
    const compilePeer = (peer: NetworkPolicyPeerSpec, policyNamespace: string): CompiledPeer => {
      const cacheKey = `${peer.ipBlock ? '' : policyNamespace} ${JSON.stringify(peer)}`;
      const cached = peerCache.get(cacheKey);
      if (cached) return cached;
      const pods = newBits(this.n);
      let addresses: Span[] = [];
      let family: Family | undefined;
      if (peer.ipBlock) {
        ipBlocks = true;
        const cidr = cidrRange(peer.ipBlock.cidr);
        family = cidr?.family ?? 4;
        // An except of the other family cannot be written (the API server refuses it).
        const except = (peer.ipBlock.except ?? [])
          .map((text) => cidrRange(text))
          .filter((x) => x !== undefined && x.family === family)
          .map((x) => x!.span);
        addresses = cidr ? subtractIntervals([cidr.span], except) : [];
        // Over its family, a workload is matched when the block holds every address its pods have or could have.
        if (this.families.includes(family)) {
          const coversPods = intervalsCover(addresses, [this.podCidrs[family] ?? everyAddress(family)]);
          this.workloadAddresses.forEach((ips, i) => {
            const known = ips[family!];
            if (known.length > 0 ? intervalsCover(addresses, known) : coversPods) setBit(pods, i);
          });
        }
      } else {
        const podMatch = compileSelector(peer.podSelector ?? {});
        const namespaces = peer.namespaceSelector
          ? [...byNamespace.keys()].filter(namespaceMatcher(peer.namespaceSelector))
          : [policyNamespace];
        for (const ns of namespaces) {
          for (const i of byNamespace.get(ns) ?? []) if (podMatch(this.workloads[i].labels)) setBit(pods, i);
        }
      }
      const compiled = { pods, family, addresses };
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
        let pods: FamilyBits = { 4: this.all, 6: this.all };
        if (peers) {
          const union = (family: Family) => {
            const bits = newBits(this.n);
            for (const p of peers) if (p.family === undefined || p.family === family) orInto(bits, p.pods);
            return bits;
          };
          const byFamily = peers.some((p) => p.family !== undefined);
          const v4 = union(4);
          pods = { 4: v4, 6: byFamily ? union(6) : v4 };
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
    this.passes = ipBlocks ? this.families : this.families.slice(0, 1);
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

  /**
   * Without a cluster file's pod ranges, the families the input shows: IPv6 when a pod IP or an ipBlock is IPv6;
   * IPv4 unless every pod IP known is IPv6 (an IPv6-only cluster's objects).
   */
  private inputFamilies(): Family[] {
    const v4 = this.workloadAddresses.some((a) => a[4].length > 0);
    const v6 = this.workloadAddresses.some((a) => a[6].length > 0);
    const families: Family[] = [];
    if (v4 || !v6) families.push(4);
    if (v6 || hasIpv6Block(this.inventory.policies)) families.push(6);
    return families;
  }

  /** The workload that owns a pod IP, if any. */
  workloadOfAddress(family: Family, value: number | bigint): number | undefined {
    const i = this.workloadAddresses.findIndex((ips) => intervalsContain(ips[family], value));
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

  /**
   * Whether `from` may open a connection to `to` on port/protocol, with the policies and rules deciding it. The
   * family is the addresses' (or `family`); between two workloads named by key, each family of the analysis is
   * asked and the connection is allowed when one allows it.
   */
  can(from: Endpoint, to: Endpoint, port: number, protocol: Protocol, family?: Family): Verdict {
    const fixed = family ?? endpointFamily(from) ?? endpointFamily(to);
    if (fixed !== undefined) return this.canOver(from, to, port, protocol, fixed);
    const verdicts = this.passes.map((f) => ({ family: f, verdict: this.canOver(from, to, port, protocol, f) }));
    const allowing = verdicts.find((v) => v.verdict.allowed) ?? verdicts[0];
    if (verdicts.every((v) => v.verdict.allowed === allowing.verdict.allowed)) return allowing.verdict;
    return { ...allowing.verdict, byFamily: verdicts };
  }

  private canOver(from: Endpoint, to: Endpoint, port: number, protocol: Protocol, family: Family): Verdict {
    const egress = this.side(from, to, port, protocol, 'egress', family);
    const ingress = this.side(to, from, port, protocol, 'ingress', family);
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

  /** The verdict of one side: `self`'s policies in `direction`, about traffic with `other` over `family`. */
  private side(
    self: Endpoint,
    other: Endpoint,
    port: number,
    protocol: Protocol,
    direction: 'ingress' | 'egress',
    family: Family,
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
          const ownFamily = peer.family === undefined || peer.family === family;
          const hit =
            'workload' in other
              ? ownFamily && hasBit(peer.pods, other.workload)
              : peer.family === endpointFamily(other) && intervalsContain(peer.addresses, other.address);
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

  /** matrix[s][d]: may workload s open a connection to workload d on port/protocol (over one family or more). */
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
    const [first, ...others] = this.passes.map((family) => this.matrixPass(port, protocol, family, namedSet));
    const out: boolean[][] = [];
    for (let s = 0; s < n; s++) {
      const row: boolean[] = new Array(n);
      const e = first.egress[s];
      for (let d = 0; d < n; d++) {
        const i = first.ingress[d];
        row[d] = (e === undefined || hasBit(e, d)) && (i === undefined || hasBit(i, s));
      }
      // The other family (IPv4 and IPv6 with ipBlocks): allowed when either allows.
      for (const { egress, ingress } of others) {
        const e2 = egress[s];
        for (let d = 0; d < n; d++) {
          const i = ingress[d];
          row[d] ||= (e2 === undefined || hasBit(e2, d)) && (i === undefined || hasBit(i, s));
        }
      }
      if (this.workloads[s].kind === 'Pod') row[s] = true;
      out.push(row);
    }
    return out;
  }

  /**
   * Over one family: per source, the destinations its egress policies allow (undefined: not isolated), and per
   * destination, the sources its ingress policies allow.
   */
  private matrixPass(
    port: number,
    protocol: Protocol,
    family: Family,
    namedSet: (name: string) => Bits,
  ): { egress: Array<Bits | undefined>; ingress: Array<Bits | undefined> } {
    const n = this.n;
    // Egress: per source, the destinations its policies allow (a rule's peers ∩ destinations its ports fit).
    const egress: Array<Bits | undefined> = new Array(n);
    const egressRuleSets = new Map<CompiledRule, Bits | undefined>();
    const egressRuleSet = (rule: CompiledRule): Bits | undefined => {
      if (egressRuleSets.has(rule)) return egressRuleSets.get(rule);
      let result: Bits | undefined;
      if (!rule.ports) result = rule.pods[family];
      else {
        let numeric = false;
        const byName = newBits(n);
        for (const entry of rule.ports) {
          if (entry.protocol !== protocol) continue;
          if ('name' in entry) orInto(byName, namedSet(entry.name));
          else if (port >= entry.start && port <= entry.end) numeric = true;
        }
        result = numeric ? rule.pods[family] : andBits(rule.pods[family], byName);
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
          if (this.portsMatch(rule.ports, port, protocol, self)) orInto(bits, rule.pods[family]);
        }
      ingress[d] = bits;
    }
    return { egress, ingress };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Every port: connection sets

  /** Everything `s` may open to `d` (per protocol and port), over one family or more. */
  connections(s: number, d: number): ConnectionSet {
    if (s === d && this.workloads[s].kind === 'Pod') return ConnectionSet.all();
    let set = ConnectionSet.none();
    for (const family of this.passes) {
      set = set.union(this.connectionsOver(s, d, family));
      if (set.isAll()) break;
    }
    return set;
  }

  private connectionsOver(s: number, d: number, family: Family): ConnectionSet {
    const admits = (peer: CompiledPeer, i: number) =>
      (peer.family === undefined || peer.family === family) && hasBit(peer.pods, i);
    const egress =
      this.egressOf[s].length === 0
        ? ConnectionSet.all()
        : this.union(
            this.egressOf[s],
            'egress',
            (peer) => admits(peer, d),
            (rule) => hasBit(rule.pods[family], d),
            d,
          );
    if (egress.isEmpty()) return egress;
    const ingress =
      this.ingressOf[d].length === 0
        ? ConnectionSet.all()
        : this.union(
            this.ingressOf[d],
            'ingress',
            (peer) => admits(peer, s),
            (rule) => hasBit(rule.pods[family], s),
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
   * connections for each: per family of the analysis (IPv4 first), disjoint intervals, adjacent ones with equal
   * connections merged. Pod addresses (the pod CIDR of the family when known) are left out: pods are the workloads.
   */
  external(
    i: number,
    direction: 'ingress' | 'egress',
  ): Array<{ family: Family; addresses: Span[]; connections: ConnectionSet }> {
    return FAMILIES.filter((f) => this.families.includes(f)).flatMap((family) =>
      this.externalOver(i, direction, family).map((piece) => ({ family, ...piece })),
    );
  }

  private externalOver(
    i: number,
    direction: 'ingress' | 'egress',
    family: Family,
  ): Array<{ addresses: Span[]; connections: ConnectionSet }> {
    const every = everyAddress(family);
    const podCidr = this.podCidrs[family];
    const outside = subtractIntervals([every], podCidr ? [podCidr] : []);
    const policies = (direction === 'ingress' ? this.ingressOf : this.egressOf)[i];
    if (policies.length === 0) return [{ addresses: outside, connections: ConnectionSet.all() }];
    // Cut the space at every boundary of every ipBlock of the family; each piece is then all-in or all-out of each.
    const after = (v: number | bigint) => (typeof v === 'bigint' ? v + 1n : v + 1);
    const cuts = new Set<number | bigint>([every[0], after(every[1])]);
    const rules = policies.flatMap((p) => this.compiled[p][direction]!);
    for (const rule of rules)
      for (const peer of rule.peers ?? [])
        if (peer.family === family)
          for (const [a, b] of peer.addresses) {
            cuts.add(a);
            cuts.add(after(b));
          }
    const points = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const pieces: Array<{ addresses: Span[]; connections: ConnectionSet }> = [];
    for (let k = 0; k + 1 < points.length; k++) {
      const start = points[k];
      const next = points[k + 1];
      const end = typeof next === 'bigint' ? next - 1n : next - 1;
      const inside = subtractIntervals([[start, end]], subtractIntervals([[start, end]], outside));
      if (inside.length === 0) continue;
      let set = ConnectionSet.none();
      for (const rule of rules) {
        if (rule.peers && !rule.peers.some((peer) => peer.family === family && intervalsContain(peer.addresses, start)))
          continue;
        set = set.union(this.portSet(rule.ports, direction === 'ingress' ? i : undefined));
      }
      if (set.isEmpty()) continue;
      const last = pieces[pieces.length - 1];
      const adjacent = last && after(last.addresses[last.addresses.length - 1][1]) === inside[0][0];
      if (last && adjacent && last.connections.equals(set)) {
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

/** True when a policy has an IPv6 ipBlock. */
function hasIpv6Block(policies: readonly Policy[]): boolean {
  return policies.some((policy) =>
    [...(policy.spec.ingress ?? []).map((r) => r.from), ...(policy.spec.egress ?? []).map((r) => r.to)].some((peers) =>
      (peers ?? []).some((peer) => peer.ipBlock && cidrRange(peer.ipBlock.cidr)?.family === 6),
    ),
  );
}

function compilePort(entry: PolicyPort): CompiledPort {
  const protocol = entry.protocol;
  if (entry.port === undefined) return { protocol, start: 1, end: 65535 };
  if (typeof entry.port === 'string') return { protocol, name: entry.port };
  return { protocol, start: entry.port, end: entry.endPort ?? entry.port };
}

/** Why two ends cannot be one connection (one IPv4, the other IPv6), or undefined. */
export function familyMismatch(from: Endpoint, to: Endpoint): string | undefined {
  const a = endpointFamily(from);
  const b = endpointFamily(to);
  if (a === undefined || b === undefined || a === b) return undefined;
  return `one end is IPv${a} and the other IPv${b}: a connection has one family; give both ends of one family`;
}

/**
 * Parses a `can` endpoint: a workload key, or an IPv4 or IPv6 address (IPv6 in any spelling; a known pod IP
 * resolves to its workload, over the address' family).
 */
export function resolveEndpoint(
  analysis: NetpolAnalysis,
  text: string,
): { endpoint?: Endpoint; error?: string; via?: string } {
  const address = addressValue(text);
  if (address !== undefined) {
    const canonical = addressText(address.family, address.value);
    const owner = analysis.workloadOfAddress(address.family, address.value);
    if (owner !== undefined)
      return {
        endpoint: { workload: owner, family: address.family },
        via: `${canonical} is a pod IP of ${analysis.workloads[owner].key}`,
      };
    return { endpoint: { address: address.value, text: canonical } };
  }
  // Workload keys hold a slash; an IPv6 address never does: name what is wrong with the address.
  if (text.includes(':') && !text.includes('/')) {
    const parsed = parseIpAddress(text);
    if (!parsed.ok) return { error: parsed.error };
  }
  const i = analysis.findWorkload(text);
  if (i !== undefined) return { endpoint: { workload: i } };
  const candidates = analysis.candidates(text);
  if (candidates.length > 0)
    return {
      error: `${JSON.stringify(text)} is ambiguous: two kinds share the name; use one of ${candidates.join(', ')}`,
    };
  return {
    error: `no workload ${JSON.stringify(text)} (expected NS/NAME, NS/KIND/NAME or an IPv4 or IPv6 address; known: ${analysis.workloads
      .slice(0, 8)
      .map((w) => w.key)
      .join(', ')}${analysis.workloads.length > 8 ? ', ...' : ''})`,
  };
}
