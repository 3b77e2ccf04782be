/**
 * netns: named network namespaces on the node (node.namespaces), like the seed's red and blue: the namespace
 * exists; a veth pair joins it to the node (`hostSide` on the node, optionally enslaved to a bridge, `name` inside);
 * both ends and the namespace's lo are up; the inside end has its address; the namespace has its default route
 * (usually via the bridge address). Facts come from `ip -n <ns> -j ...` (empty when the namespace is absent).
 * A namespace or veth created in this run is deleted on revert. Both are owned (the namespace with what it was
 * made of, so that the revert of its removal can rebuild it), as are the addresses set inside: a namespace no longer
 * declared is deleted with everything in it, a changed address replaces the old one. Namespaces netstrap did not
 * create are never deleted. Persisted by the boot script of persist.ts.
 *
 * A namespace no longer declared is read before it goes (fact netns-owned, in the same round trip: every namespace
 * of the node that is not declared and whose name the ownership record holds as a JSON string — a test of the
 * record's text that does not depend on its layout; the planner keeps only those the record really owns).
 * While it holds what netstrap did not create — a process, an interface other than lo and netstrap's veth end, an
 * address the record does not list, a route other than the default one — it is not deleted: the plan refuses, naming them (deleting it would destroy them, and no revert could bring them back).
 * Otherwise the revert of its removal rebuilds it as it was read: the veth pair, its bridge and state, every address
 * and link state inside, and every route inside that the kernel did not derive from an address.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import { type Fact, type FactSet, fact } from '../fact';
import type { OwnedIds } from '../owned-ids';
import { entryPath, PlanConflict } from '../disruption';
import { recordPath } from '../ownership';
import type { BootStep, Change, Command, OwnedObject, ResourceKind } from '../types';
import { addressArgs, deleteAddress, immediateAddresses, isIpv6, restoreArgs } from './addresses';
import {
  familyRoutes,
  findLink,
  IpState,
  interfaceAddresses,
  ipFacts,
  ipState,
  ipStateOf,
  isUp,
  netnsList,
} from './ip-facts';
import { existingArgs, IPV6_DEFAULT_METRIC } from './routes';

/** What the netns kind owns: a namespace, the host end of a veth, an address set inside a namespace. */
export type NetnsId =
  | { readonly part: 'namespace'; readonly namespace: string }
  | { readonly part: 'veth'; readonly veth: string }
  | { readonly part: 'address'; readonly namespace: string; readonly dev: string; readonly address: string }
  | { readonly part: 'state'; readonly namespace: string; readonly dev: string }
  /** The IPv6 default route netstrap set in a namespace (IPv4's goes with its address or namespace, as before). */
  | { readonly part: 'route6'; readonly namespace: string };

export const netnsIds: OwnedIds<NetnsId> = {
  key: (id) =>
    id.part === 'veth'
      ? `veth ${id.veth}`
      : id.part === 'address'
        ? `${id.namespace}/${id.dev} address ${id.address}`
        : id.part === 'state'
          ? `${id.namespace}/${id.dev} state`
          : id.part === 'route6'
            ? defaultRouteTarget(id.namespace, 6)
            : id.namespace,
  read(key) {
    if (/^[^ /]+$/.test(key)) return { part: 'namespace', namespace: key };
    const veth = /^veth (\S+)$/.exec(key);
    if (veth) return { part: 'veth', veth: veth[1] };
    const address = /^([^ /]+)\/(\S+) address (\S+)$/.exec(key);
    if (address) return { part: 'address', namespace: address[1], dev: address[2], address: address[3] };
    const state = /^([^ /]+)\/(\S+) state$/.exec(key);
    if (state) return { part: 'state', namespace: state[1], dev: state[2] };
    const route6 = /^([^ /]+) IPv6 default route$/.exec(key);
    return route6 ? { part: 'route6', namespace: route6[1] } : undefined;
  },
};

/**
 * $1 the ownership record, then the declared namespaces. Per namespace of the node that is not declared and that
 * the record names — as a JSON string (`"blue"`), or as the start of one (`"blue/lo state"`: what netstrap owns in a
 * namespace it adopted); names are validated, so they need no escaping — tested on the record's text with shell
 * builtins alone (no process per namespace): `ns <name>`, its `ip -j` links with addresses and
 * its routes, and its pids, one line each. Other namespaces (a container runtime's) cost no process.
 */
const OWNED_READ = `rec=$1; shift
[ -f "$rec" ] || exit 0
r=; while IFS= read -r line || [ -n "$line" ]; do r="$r$line"; done < "$rec"
for f in /var/run/netns/*; do
  [ -e "$f" ] || continue
  ns=\${f##*/}
  case " $* " in *" $ns "*) continue;; esac
  case $r in *"\\"$ns\\""*|*"\\"$ns/"*) ;; *) continue;; esac
  echo "ns $ns"
  printf 'addr '; ip -n "$ns" -j -d addr show; echo
  printf 'route '; ip -n "$ns" -j route show table all; echo
  echo "pids $(ip netns pids "$ns" | tr '\\n' ' ')"
done; true`;

/** What an owned, undeclared namespace holds. */
interface HeldNamespace extends IpState {
  readonly pids: ReadonlyArray<string>;
}

function parseHeld(output: string): ReadonlyMap<string, HeldNamespace> {
  const held = new Map<string, HeldNamespace>();
  let name: string | undefined;
  let lines: Record<string, string> = {};
  const flush = () => {
    if (name === undefined) return;
    const pids = (lines.pids ?? '').split(' ').filter(Boolean);
    held.set(name, { ...ipStateOf(lines.addr ?? '', lines.route ?? ''), pids });
  };
  for (const line of output.split('\n')) {
    const space = line.indexOf(' ');
    const [what, rest] = space < 0 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)];
    if (what === 'ns') {
      flush();
      name = rest;
      lines = {};
    } else if (name !== undefined && ['addr', 'route', 'pids'].includes(what)) lines[what] = rest;
  }
  flush();
  return held;
}

/** What the undeclared namespaces named in the ownership record hold (fact netns-owned). */
function heldNamespaces(cluster: Cluster, declared: ReadonlyArray<string>): Fact<ReadonlyMap<string, HeldNamespace>> {
  return fact('netns-owned', ['sh', '-c', OWNED_READ, 'sh', recordPath(cluster.name), ...declared], parseHeld);
}

type Namespace = ClusterNode['namespaces'][number];

/** What a change makes netstrap own: the id, and the state before (null: netstrap created it). */
interface Owns {
  readonly id: NetnsId;
  readonly prior?: unknown;
}

/** The changes of one namespace: a plan step's parts, gathered by `add`. */
interface NamespaceChanges {
  add(target: string, before: string, after: string, apply: string[], revert?: string[] | Command, owns?: Owns): void;
}

function collector(changes: Change[], owned: (owns: Owns) => OwnedObject): NamespaceChanges {
  return {
    add: (target, before, after, apply, revert, owns) =>
      changes.push({
        kind: 'netns',
        target,
        before,
        after,
        apply: [{ argv: apply }],
        revert: revert === undefined ? [] : [Array.isArray(revert) ? { argv: revert } : revert],
        owns: owns ? [owned(owns)] : [],
      }),
  };
}

/** The namespace itself, its veth pair, the host end's bridge and state. */
function planVeth(
  cluster: Cluster,
  node: ClusterNode,
  ns: Namespace,
  host: IpState,
  inside: IpState,
  existing: ReadonlyArray<string>,
  c: NamespaceChanges,
): void {
  const { name } = ns;
  const { hostSide, name: peer, bridge } = ns.veth;
  if (!existing.includes(name))
    c.add(name, 'absent', 'present', ['ip', 'netns', 'add', name], ['ip', 'netns', 'del', name], {
      id: { part: 'namespace', namespace: name },
    });
  const hostLink = findLink(host, hostSide);
  const k = node.namespaces.findIndex((candidate) => candidate.name === name);
  if (!hostLink && existing.includes(name) && findLink(inside, peer)) {
    // `ip link add … peer name <peer> netns <name>` would fail on the name: refused now, before anything is applied.
    throw new PlanConflict({
      entry: entryPath(cluster, node, 'namespaces', k, 'veth', 'name'),
      change: `netns ${name} veth ${hostSide}`,
      reason:
        `namespace ${JSON.stringify(name)} already exists on ${node.name} and holds an interface ${JSON.stringify(peer)}, while the veth's host side ${JSON.stringify(hostSide)} is absent: ` +
        `the veth cannot be created; choose another veth.name or namespace name, or remove it (ip -n ${name} link del ${peer}); nothing was applied (--allow-disruption does not change this)`,
    });
  }
  if (!hostLink) {
    c.add(
      `${name} veth ${hostSide}`,
      'absent',
      `veth ${hostSide} ↔ ${name}/${peer}`,
      ['ip', 'link', 'add', hostSide, 'type', 'veth', 'peer', 'name', peer, 'netns', name],
      ['ip', 'link', 'del', 'dev', hostSide],
      { id: { part: 'veth', veth: hostSide } },
    );
  } else if (!findLink(inside, peer)) {
    throw new PlanConflict({
      entry: entryPath(cluster, node, 'namespaces', k, 'veth', 'hostSide'),
      change: `netns ${name} veth ${hostSide}`,
      reason: `${hostSide} exists on ${node.name} but namespace ${JSON.stringify(name)} has no interface ${JSON.stringify(peer)}: delete ${hostSide} or fix namespaces[].veth; nothing was applied`,
    });
  }
  if (bridge !== undefined && hostLink?.master !== bridge) {
    c.add(
      `${hostSide} master`,
      hostLink?.master ?? 'none',
      bridge,
      ['ip', 'link', 'set', 'dev', hostSide, 'master', bridge],
      hostLink
        ? ['ip', 'link', 'set', 'dev', hostSide, ...(hostLink.master ? ['master', hostLink.master] : ['nomaster'])]
        : undefined,
    );
  }
  if (!isUp(hostLink)) {
    c.add(
      `${hostSide} state`,
      hostLink ? 'down' : 'absent',
      'up',
      ['ip', 'link', 'set', 'dev', hostSide, 'up'],
      hostLink ? ['ip', 'link', 'set', 'dev', hostSide, 'down'] : undefined,
    );
  }
}

/** Inside the namespace: the veth end's addresses, the veth end and lo up, the default route of each family. */
function planInside(ns: Namespace, inside: IpState, immediate: ReadonlySet<string>, c: NamespaceChanges): void {
  const { name } = ns;
  const { name: peer } = ns.veth;
  const existed = findLink(inside, peer) !== undefined;
  const present = interfaceAddresses(inside, peer);
  for (const address of ns.veth.addresses) {
    if (present.includes(address)) continue;
    c.add(
      `${name}/${peer} address ${address}`,
      'absent',
      'present',
      ['ip', '-n', name, ...addressArgs('add', address, peer, immediate)],
      existed ? deleteAddress(address, peer, name) : undefined,
      { id: { part: 'address', namespace: name, dev: peer, address } },
    );
  }
  for (const dev of [peer, 'lo']) {
    const link = findLink(inside, dev);
    if (isUp(link)) continue;
    // A link that was there and down (lo of a namespace netstrap adopted) is owned: reset puts it down again.
    c.add(
      `${name}/${dev} state`,
      link ? 'down' : 'absent',
      'up',
      ['ip', '-n', name, 'link', 'set', 'dev', dev, 'up'],
      link ? ['ip', '-n', name, 'link', 'set', 'dev', dev, 'down'] : undefined,
      link ? { id: { part: 'state', namespace: name, dev }, prior: 'down' } : undefined,
    );
  }
  for (const gateway of ns.defaultRoutes) {
    const family = isIpv6(gateway) ? 6 : 4;
    // The kernel's metric of a route added without one: 0 for IPv4, 1024 for IPv6.
    const metric = family === 4 ? 0 : IPV6_DEFAULT_METRIC;
    const route = familyRoutes(inside, family).find((r) => r.dst === 'default' && (r.metric ?? 0) === metric);
    if (route?.gateway === gateway) continue;
    const ip = family === 4 ? ['ip', '-n', name] : ['ip', '-n', name, '-6'];
    const restore =
      route?.gateway !== undefined
        ? [...ip, 'route', 'replace', 'default', 'via', route.gateway, ...(route.dev ? ['dev', route.dev] : [])]
        : existed
          ? [...ip, 'route', 'del', 'default', ...(family === 6 ? ['metric', String(metric)] : [])]
          : undefined;
    c.add(
      defaultRouteTarget(name, family),
      route?.gateway ? `via ${route.gateway}` : 'absent',
      `via ${gateway}`,
      [...ip, 'route', 'replace', 'default', 'via', gateway],
      restore,
      family === 6 ? { id: { part: 'route6', namespace: name }, prior: route ? existingArgs(route) : null } : undefined,
    );
  }
}

/** What plan calls a namespace's default route: `blue default route` (IPv4, as before), `blue IPv6 default route`. */
function defaultRouteTarget(ns: string, family: 4 | 6): string {
  return family === 4 ? `${ns} default route` : `${ns} IPv6 default route`;
}

export const namespaces: ResourceKind = {
  kind: 'netns',
  ownedIds: netnsIds,
  bootSteps: namespaceBootSteps,

  facts(node: ClusterNode, cluster: Cluster) {
    // The list is read even when no namespace is declared: namespaces netstrap created may have to go.
    const declared = node.namespaces.map((ns) => ns.name);
    return [netnsList, ...ipFacts(), heldNamespaces(cluster, declared), ...declared.flatMap((ns) => ipFacts(ns))];
  },

  plan(node: ClusterNode, facts: FactSet, cluster: Cluster, owned: ReadonlyArray<OwnedObject> = []): Change[] {
    const host = ipState(facts);
    const existing = facts.get(netnsList);
    const changes: Change[] = [];
    const c = collector(changes, ({ id, prior = null }) => ({
      kind: 'netns',
      id: netnsIds.key(id),
      prior,
      ...(id.part === 'namespace' ? { spec: { veth: specOf(node, id.namespace) } } : {}),
    }));
    const immediate = immediateAddresses(node, cluster);
    for (const ns of node.namespaces) {
      const inside = ipState(facts, ns.name);
      planVeth(cluster, node, ns, host, inside, existing, c);
      planInside(ns, inside, immediate, c);
    }
    const declaredIds = new Set(node.namespaces.flatMap((ns) => declaredKeys(ns)));
    const held = facts.get(
      heldNamespaces(
        cluster,
        node.namespaces.map((ns) => ns.name),
      ),
    );
    // A namespace no longer declared was read by heldNamespaces; a declared one by its own ip facts.
    const inside = (ns: string) => held.get(ns) ?? ipState(facts, ns);
    const removals = new NamespaceRemovals(node, owned, declaredIds, existing, host, inside, held, changes);
    changes.push(...removals.changes());
    return changes;
  },
};

function specOf(node: ClusterNode, name: string): { hostSide: string; name: string } | undefined {
  const ns = node.namespaces.find((n) => n.name === name);
  return ns && { hostSide: ns.veth.hostSide, name: ns.veth.name };
}

/** The record's keys of what a declared namespace owns. */
function declaredKeys(ns: Namespace): string[] {
  const { hostSide, name: dev } = ns.veth;
  const ids: NetnsId[] = [
    { part: 'namespace', namespace: ns.name },
    { part: 'veth', veth: hostSide },
    ...ns.veth.addresses.map((address): NetnsId => ({ part: 'address', namespace: ns.name, dev, address })),
    { part: 'state', namespace: ns.name, dev },
    { part: 'state', namespace: ns.name, dev: 'lo' },
    ...(ns.defaultRoutes.some(isIpv6) ? [{ part: 'route6', namespace: ns.name } as const] : []),
  ];
  return ids.map(netnsIds.key);
}

/** A namespace's owned entry as written: with what it was made of (the veth), for the revert of its removal. */
function vethSpec(entry: OwnedObject): { hostSide: string; name: string } | undefined {
  return (entry.spec as { veth?: { hostSide: string; name: string } } | undefined)?.veth;
}

/** Owned namespaces, veths and inside addresses no longer declared: deleted (a namespace with all it holds). */
class NamespaceRemovals {
  private readonly out: Change[] = [];
  /** Owned namespaces no longer declared: everything in them goes with them. */
  private readonly gone: ReadonlySet<string>;

  constructor(
    private readonly node: ClusterNode,
    private readonly owned: ReadonlyArray<OwnedObject>,
    private readonly declared: ReadonlySet<string>,
    private readonly existing: ReadonlyArray<string>,
    private readonly host: IpState,
    private readonly inside: (ns: string) => IpState,
    private readonly held: ReadonlyMap<string, HeldNamespace>,
    /** The kind's other changes, to find an address replaced in this run. */
    private readonly planned: ReadonlyArray<Change>,
  ) {
    this.gone = new Set(
      owned.flatMap((o) => {
        const id = declared.has(o.id) ? undefined : netnsIds.read(o.id);
        return id?.part === 'namespace' ? [id.namespace] : [];
      }),
    );
  }

  changes(): Change[] {
    for (const entry of this.owned) {
      if (this.declared.has(entry.id)) continue;
      const id = netnsIds.read(entry.id);
      if (!id) continue;
      if (id.part === 'veth') this.veth(entry, id.veth);
      else if (id.part === 'address') this.address(entry, id.namespace, id.dev, id.address);
      else if (id.part === 'state') this.state(entry, id.namespace, id.dev);
      else if (id.part === 'route6') this.route6(entry, id.namespace);
      else this.namespace(entry, id.namespace);
    }
    return this.out;
  }

  private release(
    entry: OwnedObject,
    before: string,
    apply: string[] | Command | undefined,
    revert: Command[] = [],
    { after = 'absent', afterAdditions = false } = {},
  ): void {
    this.out.push({
      kind: 'netns',
      target: entry.id,
      before,
      after,
      apply: apply === undefined ? [] : [Array.isArray(apply) ? { argv: apply } : apply],
      revert,
      releases: [entry],
      ...(afterAdditions ? { afterAdditions } : {}),
    });
  }

  private namespace(entry: OwnedObject, name: string): void {
    const veth = vethSpec(entry);
    const contents = this.held.get(name);
    if (!this.existing.includes(name)) {
      this.release(entry, 'absent (already gone)', undefined);
      return;
    }
    if (contents) this.refuseForeign(name, veth, contents);
    const apply =
      veth && findLink(this.host, veth.hostSide)
        ? deleteNamespaceAndWait(name, veth.hostSide)
        : ['ip', 'netns', 'del', name];
    this.release(entry, 'present', apply, rebuildNamespace(name, veth, this.host, contents));
  }

  /** Refuses to delete a namespace that holds what netstrap did not put in it (no revert could bring that back). */
  private refuseForeign(name: string, veth: { name: string } | undefined, contents: HeldNamespace): void {
    // netstrap puts in a namespace: its veth end, the addresses the record lists, lo, and one default route.
    const ownedAddress = (dev: string, address: string) =>
      (dev === 'lo' && address === '127.0.0.1/8') ||
      this.owned.some((o) => o.id === netnsIds.key({ part: 'address', namespace: name, dev, address }));
    const foreign = [
      ...contents.pids.map((pid) => `process ${pid}`),
      ...contents.links
        .map((l) => l.ifname)
        .filter((ifname) => ifname !== 'lo' && ifname !== veth?.name)
        .map((ifname) => `interface ${ifname}`),
      ...contents.links.flatMap((l) =>
        interfaceAddresses(contents, l.ifname)
          .filter((a) => a !== '::1/128')
          .filter((a) => !ownedAddress(l.ifname, a))
          .map((a) => `address ${a} on ${l.ifname}`),
      ),
      ...[...contents.routes, ...contents.routes6]
        .filter((r) => r.protocol !== 'kernel' && r.dst !== 'default')
        .map((r) => `route ${r.dst}`),
    ];
    if (foreign.length === 0) return;
    throw new Error(
      `${this.node.name}: namespace ${name} is no longer declared but holds what netstrap did not create (${foreign.join(', ')}): ` +
        'netstrap does not delete it while it does; stop or move those, or declare the namespace again',
    );
  }

  private veth(entry: OwnedObject, hostSide: string): void {
    // Deleting a namespace destroys its veth pairs (asynchronously): a second delete could race and fail.
    const inGone = this.owned.some((o) => {
      const id = netnsIds.read(o.id);
      return id?.part === 'namespace' && this.gone.has(id.namespace) && vethSpec(o)?.hostSide === hostSide;
    });
    if (inGone) {
      this.release(entry, 'goes with its namespace', undefined);
      return;
    }
    const present = findLink(this.host, hostSide) !== undefined;
    this.release(
      entry,
      present ? 'present' : 'absent (already gone)',
      present ? ['ip', 'link', 'del', 'dev', hostSide] : undefined,
    );
  }

  private address(entry: OwnedObject, ns: string, dev: string, address: string): void {
    if (this.gone.has(ns) || !this.existing.includes(ns)) {
      this.release(entry, 'goes with its namespace', undefined);
      return;
    }
    const present = interfaceAddresses(this.inside(ns), dev).includes(address);
    // Replaced by the address this run gives the same device: it goes once that one is up.
    const replaced = this.planned.some((c) => !c.releases && c.target.startsWith(`${ns}/${dev} address `));
    this.release(
      entry,
      present ? 'present' : 'absent',
      present ? deleteAddress(address, dev, ns) : undefined,
      present ? [{ argv: ['ip', '-n', ns, ...restoreArgs(address, dev)] }] : [],
      { afterAdditions: present && replaced },
    );
  }

  /** The IPv6 default route no longer declared: deleted, or the one it replaced put back. */
  private route6(entry: OwnedObject, ns: string): void {
    if (this.gone.has(ns) || !this.existing.includes(ns)) {
      this.release(entry, 'goes with its namespace', undefined);
      return;
    }
    const ip = ['ip', '-n', ns, '-6', 'route'];
    const metric = String(IPV6_DEFAULT_METRIC);
    const current = this.inside(ns).routes6.find((r) => r.dst === 'default' && (r.metric ?? 0) === IPV6_DEFAULT_METRIC);
    const prior = Array.isArray(entry.prior) ? entry.prior.map(String) : undefined;
    const now = current ? [{ argv: [...ip, 'replace', ...existingArgs(current)] }] : [];
    if (prior) {
      this.release(entry, current ? `via ${current.gateway}` : 'absent', [...ip, 'replace', ...prior], now, {
        after: `restored (${prior.slice(1).join(' ')})`,
      });
    } else {
      this.release(
        entry,
        current ? `via ${current.gateway}` : 'absent (already gone)',
        current ? [...ip, 'del', 'default', 'metric', metric] : undefined,
        now,
      );
    }
  }

  /** Adopted down: down again (a namespace netstrap did not create keeps its lo as it was). */
  private state(entry: OwnedObject, ns: string, dev: string): void {
    if (this.gone.has(ns) || !this.existing.includes(ns)) {
      this.release(entry, 'goes with its namespace', undefined);
      return;
    }
    const up = isUp(findLink(this.inside(ns), dev));
    this.release(
      entry,
      up ? 'up' : 'down',
      up ? ['ip', '-n', ns, 'link', 'set', 'dev', dev, 'down'] : undefined,
      up ? [{ argv: ['ip', '-n', ns, 'link', 'set', 'dev', dev, 'up'] }] : [],
      { after: 'down' },
    );
  }
}

/** Commands that rebuild a namespace netstrap removes as it was read: veth pair, bridge, states, addresses, routes. */
/**
 * `ip netns del`, then a wait (at most 5 s) until the kernel has destroyed the namespace's veth pair: it does so
 * asynchronously, and a plan read at once (a reset, then a bootstrap) would find the host side still there and
 * refuse it as a veth without its namespace. $1 the namespace, $2 the host side.
 */
function deleteNamespaceAndWait(ns: string, hostSide: string): Command {
  const script =
    'ip netns del "$1" || exit; i=0; while ip link show dev "$2" >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done';
  return { argv: ['sh', '-c', script, 'sh', ns, hostSide] };
}

function rebuildNamespace(
  ns: string,
  veth: { hostSide: string; name: string } | undefined,
  host: IpState,
  contents: IpState | undefined,
): Command[] {
  const commands: Command[] = [{ argv: ['ip', 'netns', 'add', ns] }];
  if (veth) {
    const hostLink = findLink(host, veth.hostSide);
    commands.push({
      argv: ['ip', 'link', 'add', veth.hostSide, 'type', 'veth', 'peer', 'name', veth.name, 'netns', ns],
    });
    if (hostLink?.master)
      commands.push({ argv: ['ip', 'link', 'set', 'dev', veth.hostSide, 'master', hostLink.master] });
    if (isUp(hostLink)) commands.push({ argv: ['ip', 'link', 'set', 'dev', veth.hostSide, 'up'] });
  }
  if (!contents) return commands;
  for (const link of contents.links) {
    // lo gets 127.0.0.1/8 from the kernel as it comes up.
    for (const address of interfaceAddresses(contents, link.ifname)) {
      if (link.ifname !== 'lo' || (address !== '127.0.0.1/8' && address !== '::1/128'))
        commands.push({ argv: ['ip', '-n', ns, ...restoreArgs(address, link.ifname)] });
    }
    if (isUp(link)) commands.push({ argv: ['ip', '-n', ns, 'link', 'set', 'dev', link.ifname, 'up'] });
  }
  for (const route of contents.routes) {
    if (route.protocol !== 'kernel')
      commands.push({ argv: ['ip', '-n', ns, 'route', 'replace', ...existingArgs(route)] });
  }
  for (const route of contents.routes6) {
    if (route.protocol !== 'kernel')
      commands.push({ argv: ['ip', '-n', ns, '-6', 'route', 'replace', ...existingArgs(route)] });
  }
  return commands;
}

export function namespaceBootSteps(node: ClusterNode, cluster?: Cluster): BootStep[] {
  const steps: BootStep[] = [];
  const immediate = immediateAddresses(node, cluster);
  for (const ns of node.namespaces) {
    const { hostSide, name: peer, bridge } = ns.veth;
    const name = ns.name;
    steps.push({ unless: ['ip', 'netns', 'exec', name, 'true'], run: ['ip', 'netns', 'add', name], target: name });
    steps.push({
      unless: ['ip', 'link', 'show', 'dev', hostSide],
      run: ['ip', 'link', 'add', hostSide, 'type', 'veth', 'peer', 'name', peer, 'netns', name],
      target: `${name} veth ${hostSide}`,
    });
    if (bridge !== undefined)
      steps.push({ run: ['ip', 'link', 'set', 'dev', hostSide, 'master', bridge], target: `${hostSide} master` });
    steps.push({ run: ['ip', 'link', 'set', 'dev', hostSide, 'up'], target: `${hostSide} state` });
    for (const address of ns.veth.addresses) {
      steps.push({
        run: ['ip', '-n', name, ...addressArgs('replace', address, peer, immediate)],
        target: `${name}/${peer} address ${address}`,
      });
    }
    steps.push({ run: ['ip', '-n', name, 'link', 'set', 'dev', peer, 'up'], target: `${name}/${peer} state` });
    steps.push({ run: ['ip', '-n', name, 'link', 'set', 'dev', 'lo', 'up'], target: `${name}/lo state` });
    for (const gateway of ns.defaultRoutes) {
      const family = isIpv6(gateway) ? 6 : 4;
      steps.push({
        run: [
          ...(family === 4 ? ['ip', '-n', name] : ['ip', '-n', name, '-6']),
          'route',
          'replace',
          'default',
          'via',
          gateway,
        ],
        target: defaultRouteTarget(name, family),
      });
    }
  }
  return steps;
}
