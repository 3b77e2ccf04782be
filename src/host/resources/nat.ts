/**
 * iptables: NAT rules of the node (node.nat), in the `nat` table.
 * - masquerade: `-A POSTROUTING -s <source> [! -d <exceptDestination>] [-o <iface>] -j MASQUERADE` (the pod rule of
 *   src/model/effective.ts is one: `-s <podCidr> ! -d <podCidr>`).
 * - portForwards: `-A PREROUTING -p <proto> -m addrtype --dst-type LOCAL [-i <iface>] --dport <port> -j DNAT
 *   --to-destination <ip:port>` (only traffic addressed to the node itself is forwarded, not traffic it routes), plus
 *   the same rule in OUTPUT when no in-interface is given, so that connections made on the node to its own
 *   address:port are forwarded too (locally generated packets skip PREROUTING).
 * Every rule carries `-m comment --comment netstrap:<id>`, where the id spells the whole rule: a rule is found by
 * its comment in `iptables-save -t nat` and compared by its whole specification (a rule edited by hand, another
 * `--to-destination` or `-s`, is drift and is replaced); a changed intent is a new id. Every rule netstrap adds is
 * owned (id `<chain> <comment id>`): once no longer declared it is deleted. Rules netstrap does not own are never
 * touched, tagged or not. Revert deletes what was added and re-inserts what was deleted at its old position.
 * Persisted by the boot script of persist.ts (`-C || -A`).
 *
 * IPv6 (issue 21): the same rules for IPv6 sources and `[v6]:port` targets go into ip6tables' nat table, as a kind
 * of their own (`ip6tables`: owned, pruned, reset and persisted like its twin). Both tables are read by ONE fact
 * section (no process more): ip6tables-save runs only when the node declares an IPv6 rule or its ownership record
 * holds one (checked with the shell's builtins), so an IPv4-only node reads exactly what it read before.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import { type Fact, type FactSet, fact } from '../fact';
import { recordPath } from '../ownership';
import type { OwnedIds } from '../owned-ids';
import type { BootStep, Change, OwnedObject, ResourceKind } from '../types';

export const COMMENT_PREFIX = 'netstrap:';

/** IPv4 (iptables) or IPv6 (ip6tables). */
export type NatFamily = 4 | 6;

/** One wanted rule: its chain and its arguments after `-A <chain>`. */
export interface NatRule {
  readonly family: NatFamily;
  readonly chain: 'PREROUTING' | 'OUTPUT' | 'POSTROUTING';
  readonly id: string;
  readonly args: string[];
}

/** A rule netstrap owns: its chain and the id its comment carries (which spells the whole rule). */
export interface NatRuleId {
  readonly chain: string;
  readonly id: string;
}

export const natRuleIds: OwnedIds<NatRuleId> = {
  key: ({ chain, id }) => `${chain} ${id}`,
  read(key) {
    const match = /^(\S+) (\S+)$/.exec(key);
    return match ? { chain: match[1], id: match[2] } : undefined;
  },
};

/** The family of a masquerade (its source's) and of a port forward (its target's: `[v6]:port` is IPv6). */
const masqueradeFamily = (m: ClusterNode['nat']['masquerade'][number]): NatFamily => (m.source.includes(':') ? 6 : 4);
const forwardFamily = (f: ClusterNode['nat']['portForwards'][number]): NatFamily => (f.to.startsWith('[') ? 6 : 4);

/** Whether the node declares any IPv6 NAT rule. */
export function wantsIpv6Nat(node: ClusterNode): boolean {
  return (
    node.nat.masquerade.some((m) => masqueradeFamily(m) === 6) ||
    node.nat.portForwards.some((f) => forwardFamily(f) === 6)
  );
}

/** The rules of `family` the node wants (IPv4 by default, as before). */
export function desiredNatRules(node: ClusterNode, family: NatFamily = 4): NatRule[] {
  const rules: NatRule[] = [];
  const comment = (id: string) => ['-m', 'comment', '--comment', `${COMMENT_PREFIX}${id}`];
  for (const m of node.nat.masquerade) {
    if (masqueradeFamily(m) !== family) continue;
    const id = `masquerade:${m.source}${m.exceptDestination ? `:except=${m.exceptDestination}` : ''}${m.outInterface ? `:out=${m.outInterface}` : ''}`;
    rules.push({
      family,
      chain: 'POSTROUTING',
      id,
      args: [
        '-s',
        m.source,
        ...(m.exceptDestination ? ['!', '-d', m.exceptDestination] : []),
        ...(m.outInterface ? ['-o', m.outInterface] : []),
        ...comment(id),
        '-j',
        'MASQUERADE',
      ],
    });
  }
  for (const f of node.nat.portForwards) {
    if (forwardFamily(f) !== family) continue;
    const base = `dnat:${f.protocol}:${f.port}:${f.to}${f.inInterface ? `:in=${f.inInterface}` : ''}`;
    const match = (id: string, inIface?: string) => [
      '-p',
      f.protocol,
      '-m',
      'addrtype',
      '--dst-type',
      'LOCAL',
      ...(inIface ? ['-i', inIface] : []),
      '-m',
      f.protocol,
      '--dport',
      String(f.port),
      ...comment(id),
      '-j',
      'DNAT',
      '--to-destination',
      f.to,
    ];
    rules.push({ family, chain: 'PREROUTING', id: base, args: match(base, f.inInterface) });
    if (!f.inInterface) rules.push({ family, chain: 'OUTPUT', id: `${base}:local`, args: match(`${base}:local`) });
  }
  return rules;
}

/** Splits an iptables-save rule line into words (it double-quotes values with spaces, e.g. comments). */
export function splitRule(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line))
    words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  return words;
}

/** A netstrap rule found on the node: chain, arguments, comment id, and 1-based position in its chain. */
interface FoundRule {
  readonly chain: string;
  readonly args: string[];
  readonly id: string;
  readonly position: number;
}

/** The nat table as `iptables-save -t nat` shows it: its chains, and the rules netstrap tagged. */
export interface NatTable {
  /** Every chain (`:KUBE-SERVICES - [0:0]` → KUBE-SERVICES). */
  readonly chains: ReadonlySet<string>;
  readonly rules: ReadonlyArray<FoundRule>;
}

function parseNatTable(output: string): NatTable {
  const chains = new Set<string>();
  const found: FoundRule[] = [];
  const positions = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (line.startsWith(':')) chains.add(line.slice(1).split(' ')[0]);
    if (!line.startsWith('-A ')) continue;
    const [, chain, ...args] = splitRule(line);
    const position = (positions.get(chain) ?? 0) + 1;
    positions.set(chain, position);
    const at = args.indexOf('--comment');
    const comment = at >= 0 ? args[at + 1] : undefined;
    if (comment?.startsWith(COMMENT_PREFIX))
      found.push({ chain, args, id: comment.slice(COMMENT_PREFIX.length), position });
  }
  return { chains, rules: found };
}

/** The nat tables of both families: ip6tables' only when it was read (see natFact). */
export interface NatTables {
  readonly 4: NatTable;
  readonly 6: NatTable;
}

/** The line between iptables-save's and ip6tables-save's output in the fact's section. */
const IP6TABLES_MARK = '# netstrap: ip6tables-save -t nat';

function parseNatTables(output: string): NatTables {
  const at = output.indexOf(`${IP6TABLES_MARK}\n`);
  return at < 0
    ? { 4: parseNatTable(output), 6: parseNatTable('') }
    : { 4: parseNatTable(output.slice(0, at)), 6: parseNatTable(output.slice(at + IP6TABLES_MARK.length + 1)) };
}

/**
 * $1 1 when the node declares an IPv6 rule, $2 its ownership record: ip6tables-save runs when either says netstrap has
 * IPv6 rules to keep or to prune (the record is read with `read`, a builtin: no process).
 */
const NAT_READ = `command -v iptables-save >/dev/null 2>&1 && iptables-save -t nat 2>/dev/null
w=$1
if [ "$w" != 1 ] && [ -f "$2" ]; then
  while IFS= read -r l || [ -n "$l" ]; do case $l in *'"kind": "ip6tables"'*) w=1; break;; esac; done < "$2"
fi
[ "$w" = 1 ] && command -v ip6tables-save >/dev/null 2>&1 && { echo '${IP6TABLES_MARK}'; ip6tables-save -t nat 2>/dev/null; }
true`;

/** The nat tables of the node (nothing when iptables is not installed), both families in one section. */
export function natFact(node: ClusterNode, cluster: Cluster): Fact<NatTables> {
  return fact(
    'iptables-nat',
    ['sh', '-c', NAT_READ, 'sh', wantsIpv6Nat(node) ? '1' : '0', recordPath(cluster.name)],
    parseNatTables,
  );
}

/** The section as read back: a FactSet finds a section by name and parser, whatever argv the node's section ran. */
const readNat: Fact<NatTables> = fact('iptables-nat', ['sh', '-c', NAT_READ], parseNatTables);

/** The node's nat table of `family` from its facts (IPv6's is empty when it was not read). */
export function natTableOf(facts: FactSet, family: NatFamily): NatTable {
  return facts.get(readNat)[family];
}

/** The iptables command of a family. */
function tool(family: NatFamily): string {
  return family === 4 ? 'iptables' : 'ip6tables';
}

/** The NAT kind of one family: `iptables` (IPv4) or `ip6tables` (IPv6). */
function natKind(family: NatFamily): ResourceKind {
  const kind = tool(family);
  return {
    kind,
    ownedIds: natRuleIds,
    bootSteps: (node) => natBootSteps(node, family),

    facts(node: ClusterNode, cluster: Cluster) {
      // Read even when nothing is wanted: netstrap rules left from an older cluster file must go.
      return [natFact(node, cluster)];
    },

    plan(node: ClusterNode, facts: FactSet, _cluster: Cluster, owned: ReadonlyArray<OwnedObject> = []): Change[] {
      const wanted = desiredNatRules(node, family);
      const found = natTableOf(facts, family).rules;
      const ownedIds = new Map(owned.map((o) => [o.id, o]));
      const changes: Change[] = [];
      const same = (f: FoundRule, w: NatRule) => w.chain === f.chain && canonicalRule(w.args) === canonicalRule(f.args);
      const kept = new Set<FoundRule>();
      for (const rule of wanted) {
        const match = found.find((f) => !kept.has(f) && f.id === rule.id && same(f, rule));
        if (match) kept.add(match);
      }

      // Deletions top to bottom: owned rules no longer declared (removals, which run first) and rules whose
      // specification drifted (replaced). Each revert re-inserts at the position the rule has once the later
      // deletions of its chain are undone: removals count the removals above, replacements every deletion above.
      const removedAbove = new Map<string, number>();
      const deletedAbove = new Map<string, number>();
      const missing = wanted.filter((w) => !found.some((f) => kept.has(f) && f.id === w.id && f.chain === w.chain));
      const replaced = new Set<NatRule>();
      for (const rule of found) {
        if (kept.has(rule)) continue;
        const entry = ownedIds.get(natRuleIds.key(rule));
        const declared = missing.find((w) => w.chain === rule.chain && w.id === rule.id);
        if (!declared && !entry) continue; // a tagged rule this cluster does not own: not netstrap's to remove here
        const removals = removedAbove.get(rule.chain) ?? 0;
        const deletions = deletedAbove.get(rule.chain) ?? 0;
        deletedAbove.set(rule.chain, deletions + 1);
        const del = { argv: [kind, '-t', 'nat', '-D', rule.chain, ...rule.args] };
        if (declared) {
          const reinsert = {
            argv: [kind, '-t', 'nat', '-I', rule.chain, String(rule.position - deletions), ...rule.args],
          };
          // One change: the edited rule goes and the declared one takes its place (appended, as a new rule is); a
          // second edited copy of the same rule only goes.
          const first = !replaced.has(declared);
          replaced.add(declared);
          const add = [kind, '-t', 'nat', '-A', declared.chain, ...declared.args];
          changes.push({
            kind,
            target: `nat ${rule.chain} ${rule.id}`,
            before: `edited (${canonicalRule(rule.args)})`,
            after: first ? 'as declared' : 'absent (a second copy)',
            apply: first ? [del, { argv: add }] : [del],
            revert: first
              ? [{ argv: [kind, '-t', 'nat', '-D', declared.chain, ...declared.args] }, reinsert]
              : [reinsert],
            owns: first ? [{ kind, id: natRuleIds.key(declared), prior: null }] : [],
          });
        } else {
          removedAbove.set(rule.chain, removals + 1);
          changes.push({
            kind,
            target: `nat ${rule.chain} ${rule.id}`,
            before: 'present',
            after: 'absent',
            apply: [del],
            revert: [{ argv: [kind, '-t', 'nat', '-I', rule.chain, String(rule.position - removals), ...rule.args] }],
            releases: [entry!],
          });
        }
      }
      for (const rule of missing) {
        if (replaced.has(rule)) continue;
        changes.push({
          kind,
          target: `nat ${rule.chain} ${rule.id}`,
          before: 'absent',
          after: 'present',
          apply: [{ argv: [kind, '-t', 'nat', '-A', rule.chain, ...rule.args] }],
          revert: [{ argv: [kind, '-t', 'nat', '-D', rule.chain, ...rule.args] }],
          owns: [{ kind, id: natRuleIds.key(rule), prior: null }],
        });
      }
      // Owned rules already gone: only the record forgets them.
      for (const entry of owned) {
        const owned = natRuleIds.read(entry.id);
        if (!owned) continue;
        const { chain, id } = owned;
        if (wanted.some((w) => w.chain === chain && w.id === id) || found.some((f) => f.chain === chain && f.id === id))
          continue;
        changes.push({
          kind,
          target: `nat ${entry.id}`,
          before: 'absent (already gone)',
          after: 'absent',
          apply: [],
          revert: [],
          releases: [entry],
        });
      }
      return changes;
    },
  };
}

export const nat: ResourceKind = natKind(4);
/** ip6tables' twin of `nat`: the IPv6 rules. */
export const nat6: ResourceKind = natKind(6);

/** Options iptables-save prints first, in this order, whatever order they were given in; then the matches as given. */
const LEADING_OPTIONS = ['-s', '-d', '-i', '-o', '-p'];

/** An address match as iptables-save prints it: IPv4 drops /32, ip6tables-save keeps /128 (and adds it). */
function addressSpelling(value: string): string {
  if (!value.includes(':')) return value.replace(/\/32$/, '');
  return value.includes('/') ? value : `${value}/128`;
}

/** A rule's arguments in iptables-save's order and spelling (`-s 10.0.0.1/32` is `-s 10.0.0.1`), for comparison. */
export function canonicalRule(args: ReadonlyArray<string>): string {
  const leading = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (LEADING_OPTIONS.includes(args[i]) && i + 1 < args.length && !leading.has(args[i])) {
      const value = args[++i];
      leading.set(args[i - 1], args[i - 1] === '-s' || args[i - 1] === '-d' ? addressSpelling(value) : value);
    } else {
      rest.push(args[i]);
    }
  }
  return [...LEADING_OPTIONS.filter((o) => leading.has(o)).flatMap((o) => [o, leading.get(o)!]), ...rest].join(' ');
}

export function natBootSteps(node: ClusterNode, family: NatFamily = 4): BootStep[] {
  return desiredNatRules(node, family).map((rule) => ({
    unless: [tool(family), '-t', 'nat', '-C', rule.chain, ...rule.args],
    run: [tool(family), '-t', 'nat', '-A', rule.chain, ...rule.args],
    target: `nat ${rule.chain} ${rule.id}`,
  }));
}
