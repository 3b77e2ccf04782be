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
 * A namespace no longer declared is read before it goes (section netns-owned: every namespace of this cluster's
 * ownership record that is not declared, found by the fact script in the record itself, so no extra round trip).
 * While it holds what netstrap did not create — a process, an interface other than lo and netstrap's veth end, an
 * address the record does not list, a route other than the default one — it is not deleted: the plan refuses, naming them (deleting it would destroy them, and no revert could bring them back).
 * Otherwise the revert of its removal rebuilds it as it was read: the veth pair, its bridge and state, every address
 * and link state inside, and every route inside that the kernel did not derive from an address.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import { recordPath } from '../ownership';
import type { BootStep, Change, Command, OwnedObject, RawFacts, ResourceKind } from '../types';
import { deleteAddress } from './addresses';
import { findLink, IpState, ipFacts, ipState, ipv4Addresses, isUp, netnsFact, netnsNames } from './ip-facts';
import { existingArgs } from './routes';

const OWNED_SECTION = 'netns-owned';
/**
 * $1 the ownership record, then the declared namespaces. Owned namespace ids are the record's netns ids without a
 * space (renderRecord writes `"kind"` then `"id"` on the next line), found by shell builtins alone (no process per
 * read); a namespace netstrap adopted is named by the ids of what it owns inside (`blue/lo state`). Per namespace
 * that exists and is not declared:
 * `ns <name>`, its `ip -j` link, addr and route facts and its pids, one line each.
 */
const OWNED_READ = `rec=$1; shift
[ -f "$rec" ] || exit 0
owned= next=
while IFS= read -r line || [ -n "$line" ]; do
  line=\${line#"\${line%%[! ]*}"}
  if [ -n "$next" ]; then
    next=
    case $line in '"id": "'*'",') id=\${line#'"id": "'}; id=\${id%'",'}
      case $id in *[\\"]*) id=;; */*) id=\${id%%/*};; esac
      case $id in ''|*[\\"\\ ]*) ;; *) case " $owned " in *" $id "*) ;; *) owned="$owned $id";; esac;; esac;; esac
  fi
  [ "$line" = '"kind": "netns",' ] && next=1
done < "$rec"
for ns in $owned; do
  case " $* " in *" $ns "*) continue;; esac
  ip netns pids "$ns" >/dev/null 2>&1 || continue
  echo "ns $ns"
  printf 'link '; ip -n "$ns" -j -d link show; echo
  printf 'addr '; ip -n "$ns" -j addr show; echo
  printf 'route '; ip -n "$ns" -j route show table main; echo
  echo "pids $(ip netns pids "$ns" | tr '\\n' ' ')"
done; true`;

/** What an owned, undeclared namespace holds (from OWNED_SECTION). */
interface HeldNamespace extends IpState {
  readonly pids: string[];
}

function ownedNamespaceFacts(facts: RawFacts): Map<string, HeldNamespace> {
  const held = new Map<string, { links: unknown[]; addrs: unknown[]; routes: unknown[]; pids: string[] }>();
  let current: { links: unknown[]; addrs: unknown[]; routes: unknown[]; pids: string[] } | undefined;
  const json = (text: string): unknown[] => (text.trim() === '' ? [] : (JSON.parse(text) as unknown[]));
  for (const line of (facts[OWNED_SECTION] ?? '').split('\n')) {
    const space = line.indexOf(' ');
    const [what, rest] = space < 0 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)];
    if (what === 'ns') {
      current = { links: [], addrs: [], routes: [], pids: [] };
      held.set(rest, current);
    } else if (!current) continue;
    else if (what === 'link') current.links = json(rest);
    else if (what === 'addr') current.addrs = json(rest);
    else if (what === 'route') current.routes = json(rest);
    else if (what === 'pids') current.pids = rest.split(' ').filter(Boolean);
  }
  return held as unknown as Map<string, HeldNamespace>;
}

export const namespaces: ResourceKind = {
  kind: 'netns',
  bootSteps: namespaceBootSteps,

  factCommands(node: ClusterNode, cluster: Cluster) {
    // The list is read even when no namespace is declared: namespaces netstrap created may have to go.
    let commands: Record<string, string[]> = {
      ...netnsFact(),
      ...ipFacts(),
      [OWNED_SECTION]: [
        'sh',
        '-c',
        OWNED_READ,
        'sh',
        recordPath(cluster.name),
        ...node.namespaces.map((ns) => ns.name),
      ],
    };
    for (const ns of node.namespaces) commands = { ...commands, ...ipFacts(ns.name) };
    return commands;
  },

  plan(node: ClusterNode, facts: RawFacts, _cluster: Cluster, owned: ReadonlyArray<OwnedObject> = []): Change[] {
    const host = ipState(facts);
    const existing = netnsNames(facts);
    const changes: Change[] = [];
    const declared = new Set<string>();
    const change = (
      target: string,
      before: string,
      after: string,
      apply: string[],
      revert?: string[] | Command,
      owns?: OwnedObject,
    ) =>
      changes.push({
        kind: 'netns',
        target,
        before,
        after,
        apply: [{ argv: apply }],
        revert: revert === undefined ? [] : [Array.isArray(revert) ? { argv: revert } : revert],
        owns: owns ? [owns] : [],
      });

    for (const ns of node.namespaces) {
      const name = ns.name;
      const inside = ipState(facts, name);
      const { hostSide, name: peer, bridge, address } = ns.veth;
      declared
        .add(name)
        .add(`veth ${hostSide}`)
        .add(`${name}/${peer} address ${address}`)
        .add(`${name}/${peer} state`)
        .add(`${name}/lo state`);
      if (!existing.includes(name)) {
        change(name, 'absent', 'present', ['ip', 'netns', 'add', name], ['ip', 'netns', 'del', name], {
          kind: 'netns',
          id: name,
          prior: null,
          spec: { veth: { hostSide, name: peer } },
        });
      }

      const hostLink = findLink(host, hostSide);
      if (!hostLink) {
        change(
          `${name} veth ${hostSide}`,
          'absent',
          `veth ${hostSide} ↔ ${name}/${peer}`,
          ['ip', 'link', 'add', hostSide, 'type', 'veth', 'peer', 'name', peer, 'netns', name],
          ['ip', 'link', 'del', 'dev', hostSide],
          { kind: 'netns', id: `veth ${hostSide}`, prior: null },
        );
      } else if (!findLink(inside, peer)) {
        throw new Error(
          `${node.name}: ${hostSide} exists on the node but ${name} has no interface ${peer}: delete ${hostSide} or fix namespaces[].veth`,
        );
      }
      if (bridge !== undefined && hostLink?.master !== bridge) {
        change(
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
        change(
          `${hostSide} state`,
          hostLink ? 'down' : 'absent',
          'up',
          ['ip', 'link', 'set', 'dev', hostSide, 'up'],
          hostLink ? ['ip', 'link', 'set', 'dev', hostSide, 'down'] : undefined,
        );
      }
      const existed = findLink(inside, peer) !== undefined;
      if (!ipv4Addresses(inside, peer).includes(address)) {
        change(
          `${name}/${peer} address ${address}`,
          'absent',
          'present',
          ['ip', '-n', name, 'addr', 'add', address, 'dev', peer],
          existed ? deleteAddress(address, peer, name) : undefined,
          { kind: 'netns', id: `${name}/${peer} address ${address}`, prior: null },
        );
      }
      for (const dev of [peer, 'lo']) {
        const link = findLink(inside, dev);
        if (isUp(link)) continue;
        // A link that was there and down (lo of a namespace netstrap adopted) is owned: reset puts it down again.
        change(
          `${name}/${dev} state`,
          link ? 'down' : 'absent',
          'up',
          ['ip', '-n', name, 'link', 'set', 'dev', dev, 'up'],
          link ? ['ip', '-n', name, 'link', 'set', 'dev', dev, 'down'] : undefined,
          link ? { kind: 'netns', id: `${name}/${dev} state`, prior: 'down' } : undefined,
        );
      }
      if (ns.defaultRoute !== undefined) {
        const route = inside.routes.find((r) => r.dst === 'default' && (r.metric ?? 0) === 0);
        if (route?.gateway !== ns.defaultRoute) {
          const restore =
            route?.gateway !== undefined
              ? [
                  'ip',
                  '-n',
                  name,
                  'route',
                  'replace',
                  'default',
                  'via',
                  route.gateway,
                  ...(route.dev ? ['dev', route.dev] : []),
                ]
              : existed
                ? ['ip', '-n', name, 'route', 'del', 'default']
                : undefined;
          change(
            `${name} default route`,
            route?.gateway ? `via ${route.gateway}` : 'absent',
            `via ${ns.defaultRoute}`,
            ['ip', '-n', name, 'route', 'replace', 'default', 'via', ns.defaultRoute],
            restore,
          );
        }
      }
    }
    const held = ownedNamespaceFacts(facts);
    // A namespace no longer declared was read by OWNED_SECTION; a declared one by its own ip facts.
    const inside = (ns: string) => held.get(ns) ?? ipState(facts, ns);
    removals(node, changes, owned, declared, existing, host, inside, held);
    return changes;
  },
};

/** Owned namespaces, veths and inside addresses no longer declared: deleted (a namespace with all it holds). */
function removals(
  node: ClusterNode,
  changes: Change[],
  owned: ReadonlyArray<OwnedObject>,
  declared: Set<string>,
  existing: string[],
  host: IpState,
  inside: (ns: string) => IpState,
  held: Map<string, HeldNamespace>,
): void {
  const gone = new Set(owned.filter((o) => !o.id.includes(' ') && !declared.has(o.id)).map((o) => o.id));
  for (const entry of owned) {
    if (declared.has(entry.id)) continue;
    const release = (
      before: string,
      apply: string[] | Command | undefined,
      revert: Change['revert'] = [],
      { after = 'absent', afterAdditions = false } = {},
    ) =>
      changes.push({
        kind: 'netns',
        target: entry.id,
        before,
        after,
        apply: apply === undefined ? [] : [Array.isArray(apply) ? { argv: apply } : apply],
        revert,
        releases: [entry],
        ...(afterAdditions ? { afterAdditions } : {}),
      });
    if (!entry.id.includes(' ')) {
      const spec = entry.spec as { veth?: { hostSide: string; name: string } } | undefined;
      const contents = held.get(entry.id);
      if (existing.includes(entry.id) && contents) {
        // netstrap puts in a namespace: its veth end, the addresses the record lists, lo, and one default route.
        const ownedAddress = (dev: string, address: string) =>
          (dev === 'lo' && address === '127.0.0.1/8') ||
          owned.some((o) => o.id === `${entry.id}/${dev} address ${address}`);
        const foreign = [
          ...contents.pids.map((pid) => `process ${pid}`),
          ...contents.links
            .map((l) => l.ifname)
            .filter((name) => name !== 'lo' && name !== spec?.veth?.name)
            .map((name) => `interface ${name}`),
          ...contents.links.flatMap((l) =>
            ipv4Addresses(contents, l.ifname)
              .filter((a) => !ownedAddress(l.ifname, a))
              .map((a) => `address ${a} on ${l.ifname}`),
          ),
          ...contents.routes.filter((r) => r.protocol !== 'kernel' && r.dst !== 'default').map((r) => `route ${r.dst}`),
        ];
        if (foreign.length > 0) {
          throw new Error(
            `${node.name}: namespace ${entry.id} is no longer declared but holds what netstrap did not create (${foreign.join(', ')}): ` +
              'netstrap does not delete it while it does; stop or move those, or declare the namespace again',
          );
        }
      }
      if (existing.includes(entry.id))
        release('present', ['ip', 'netns', 'del', entry.id], rebuildNamespace(entry.id, spec?.veth, host, contents));
      else release('absent (already gone)', undefined);
      continue;
    }
    const [first, what, address] = entry.id.split(' ');
    if (first === 'veth') {
      // Deleting a namespace destroys its veth pairs (asynchronously): a second delete could race and fail.
      const inGone = owned.some(
        (o) => gone.has(o.id) && (o.spec as { veth?: { hostSide?: string } } | undefined)?.veth?.hostSide === what,
      );
      if (inGone) {
        release('goes with its namespace', undefined);
        continue;
      }
      const present = findLink(host, what) !== undefined;
      release(present ? 'present' : 'absent (already gone)', present ? ['ip', 'link', 'del', 'dev', what] : undefined);
      continue;
    }
    const [ns, dev] = first.split('/');
    if (gone.has(ns) || !existing.includes(ns) || (what !== 'address' && what !== 'state')) {
      release('goes with its namespace', undefined);
      continue;
    }
    if (what === 'state') {
      // Adopted down: down again (a namespace netstrap did not create keeps its lo as it was).
      const up = isUp(findLink(inside(ns), dev));
      release(
        up ? 'up' : 'down',
        up ? ['ip', '-n', ns, 'link', 'set', 'dev', dev, 'down'] : undefined,
        up ? [{ argv: ['ip', '-n', ns, 'link', 'set', 'dev', dev, 'up'] }] : [],
        { after: 'down' },
      );
      continue;
    }
    const present = ipv4Addresses(inside(ns), dev).includes(address);
    // Replaced by the address this run gives the same device: it goes once that one is up.
    const replaced = changes.some((c) => !c.releases && c.target.startsWith(`${ns}/${dev} address `));
    release(
      present ? 'present' : 'absent',
      present ? deleteAddress(address, dev, ns) : undefined,
      present ? [{ argv: ['ip', '-n', ns, 'addr', 'add', address, 'dev', dev] }] : [],
      { afterAdditions: present && replaced },
    );
  }
}

/** Commands that rebuild a namespace netstrap removes as it was read: veth pair, bridge, states, addresses, routes. */
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
    for (const address of ipv4Addresses(contents, link.ifname)) {
      if (link.ifname !== 'lo' || address !== '127.0.0.1/8')
        commands.push({ argv: ['ip', '-n', ns, 'addr', 'add', address, 'dev', link.ifname] });
    }
    if (isUp(link)) commands.push({ argv: ['ip', '-n', ns, 'link', 'set', 'dev', link.ifname, 'up'] });
  }
  for (const route of contents.routes) {
    if (route.protocol !== 'kernel')
      commands.push({ argv: ['ip', '-n', ns, 'route', 'replace', ...existingArgs(route)] });
  }
  return commands;
}

export function namespaceBootSteps(node: ClusterNode): BootStep[] {
  const steps: BootStep[] = [];
  for (const ns of node.namespaces) {
    const { hostSide, name: peer, bridge, address } = ns.veth;
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
    steps.push({
      run: ['ip', '-n', name, 'addr', 'replace', address, 'dev', peer],
      target: `${name}/${peer} address ${address}`,
    });
    steps.push({ run: ['ip', '-n', name, 'link', 'set', 'dev', peer, 'up'], target: `${name}/${peer} state` });
    steps.push({ run: ['ip', '-n', name, 'link', 'set', 'dev', 'lo', 'up'], target: `${name}/lo state` });
    if (ns.defaultRoute !== undefined) {
      steps.push({
        run: ['ip', '-n', name, 'route', 'replace', 'default', 'via', ns.defaultRoute],
        target: `${name} default route`,
      });
    }
  }
  return steps;
}
