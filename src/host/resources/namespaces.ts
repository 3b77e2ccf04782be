/**
 * netns: named network namespaces on the node (node.namespaces), like the seed's red and blue: the namespace
 * exists; a veth pair joins it to the node (`hostSide` on the node, optionally enslaved to a bridge, `name` inside);
 * both ends and the namespace's lo are up; the inside end has its address; the namespace has its default route
 * (usually via the bridge address). Facts come from `ip -n <ns> -j ...` (empty when the namespace is absent).
 * A namespace or veth created in this run is deleted on revert. Both are owned (the namespace with what it was
 * made of, so that the revert of its removal can rebuild it), as are the addresses set inside: a namespace no longer
 * declared is deleted with everything in it, a changed address replaces the old one. Namespaces netstrap did not
 * create are never deleted. Persisted by the boot script of persist.ts.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import type { BootStep, Change, OwnedObject, RawFacts, ResourceKind } from '../types';
import { findLink, ipFacts, ipState, ipv4Addresses, isUp, netnsFact, netnsNames } from './ip-facts';

export const namespaces: ResourceKind = {
  kind: 'netns',
  bootSteps: namespaceBootSteps,

  factCommands(node: ClusterNode) {
    // The list is read even when no namespace is declared: namespaces netstrap created may have to go.
    let commands: Record<string, string[]> = { ...netnsFact(), ...ipFacts() };
    for (const ns of node.namespaces) commands = { ...commands, ...ipFacts(ns.name) };
    return commands;
  },

  plan(node: ClusterNode, facts: RawFacts, _cluster: Cluster, owned: ReadonlyArray<OwnedObject> = []): Change[] {
    const host = ipState(facts);
    const existing = netnsNames(facts);
    const changes: Change[] = [];
    const declared = new Set<string>();
    const change = (target: string, before: string, after: string, apply: string[], revert?: string[], owns?: OwnedObject) =>
      changes.push({ kind: 'netns', target, before, after, apply: [{ argv: apply }], revert: revert ? [{ argv: revert }] : [], owns: owns ? [owns] : [] });

    for (const ns of node.namespaces) {
      const name = ns.name;
      const inside = ipState(facts, name);
      const { hostSide, name: peer, bridge, address } = ns.veth;
      declared.add(name).add(`veth ${hostSide}`).add(`${name}/${peer} address ${address}`);
      if (!existing.includes(name)) {
        change(name, 'absent', 'present', ['ip', 'netns', 'add', name], ['ip', 'netns', 'del', name], { kind: 'netns', id: name, prior: null, spec: { veth: { hostSide, name: peer } } });
      }

      const hostLink = findLink(host, hostSide);
      if (!hostLink) {
        change(`${name} veth ${hostSide}`, 'absent', `veth ${hostSide} ↔ ${name}/${peer}`,
          ['ip', 'link', 'add', hostSide, 'type', 'veth', 'peer', 'name', peer, 'netns', name], ['ip', 'link', 'del', 'dev', hostSide],
          { kind: 'netns', id: `veth ${hostSide}`, prior: null });
      } else if (!findLink(inside, peer)) {
        throw new Error(`${node.name}: ${hostSide} exists on the node but ${name} has no interface ${peer}: delete ${hostSide} or fix namespaces[].veth`);
      }
      if (bridge !== undefined && hostLink?.master !== bridge) {
        change(`${hostSide} master`, hostLink?.master ?? 'none', bridge, ['ip', 'link', 'set', 'dev', hostSide, 'master', bridge],
          hostLink ? ['ip', 'link', 'set', 'dev', hostSide, ...(hostLink.master ? ['master', hostLink.master] : ['nomaster'])] : undefined);
      }
      if (!isUp(hostLink)) {
        change(`${hostSide} state`, hostLink ? 'down' : 'absent', 'up', ['ip', 'link', 'set', 'dev', hostSide, 'up'],
          hostLink ? ['ip', 'link', 'set', 'dev', hostSide, 'down'] : undefined);
      }
      const existed = findLink(inside, peer) !== undefined;
      if (!ipv4Addresses(inside, peer).includes(address)) {
        change(`${name}/${peer} address ${address}`, 'absent', 'present', ['ip', '-n', name, 'addr', 'add', address, 'dev', peer],
          existed ? ['ip', '-n', name, 'addr', 'del', address, 'dev', peer] : undefined, { kind: 'netns', id: `${name}/${peer} address ${address}`, prior: null });
      }
      for (const dev of [peer, 'lo']) {
        const link = findLink(inside, dev);
        if (isUp(link)) continue;
        change(`${name}/${dev} state`, link ? 'down' : 'absent', 'up', ['ip', '-n', name, 'link', 'set', 'dev', dev, 'up'],
          link ? ['ip', '-n', name, 'link', 'set', 'dev', dev, 'down'] : undefined);
      }
      if (ns.defaultRoute !== undefined) {
        const route = inside.routes.find((r) => r.dst === 'default' && (r.metric ?? 0) === 0);
        if (route?.gateway !== ns.defaultRoute) {
          const restore = route?.gateway !== undefined
            ? ['ip', '-n', name, 'route', 'replace', 'default', 'via', route.gateway, ...(route.dev ? ['dev', route.dev] : [])]
            : existed ? ['ip', '-n', name, 'route', 'del', 'default'] : undefined;
          change(`${name} default route`, route?.gateway ? `via ${route.gateway}` : 'absent', `via ${ns.defaultRoute}`,
            ['ip', '-n', name, 'route', 'replace', 'default', 'via', ns.defaultRoute], restore);
        }
      }
    }
    removals(changes, owned, declared, existing, host, (ns) => ipState(facts, ns));
    return changes;
  },
};

/** Owned namespaces, veths and inside addresses no longer declared: deleted (a namespace with all it holds). */
function removals(changes: Change[], owned: ReadonlyArray<OwnedObject>, declared: Set<string>, existing: string[],
  host: ReturnType<typeof ipState>, inside: (ns: string) => ReturnType<typeof ipState>): void {
  const gone = new Set(owned.filter((o) => !o.id.includes(' ') && !declared.has(o.id)).map((o) => o.id));
  for (const entry of owned) {
    if (declared.has(entry.id)) continue;
    const release = (before: string, apply: string[] | undefined, revert: Change['revert'] = []) =>
      changes.push({ kind: 'netns', target: entry.id, before, after: 'absent', apply: apply ? [{ argv: apply }] : [], revert, releases: [entry] });
    if (!entry.id.includes(' ')) {
      // Revert rebuilds the namespace and its veth pair (the spec keeps only what never changes: the veth's names;
      // addresses and routes inside are not recreated).
      const spec = entry.spec as { veth?: { hostSide: string; name: string } } | undefined;
      const rebuild = [{ argv: ['ip', 'netns', 'add', entry.id] },
        ...(spec?.veth ? [{ argv: ['ip', 'link', 'add', spec.veth.hostSide, 'type', 'veth', 'peer', 'name', spec.veth.name, 'netns', entry.id] }] : [])];
      if (existing.includes(entry.id)) release('present', ['ip', 'netns', 'del', entry.id], rebuild);
      else release('absent (already gone)', undefined);
      continue;
    }
    const [first, what, address] = entry.id.split(' ');
    if (first === 'veth') {
      // Deleting a namespace destroys its veth pairs (asynchronously): a second delete could race and fail.
      const inGone = owned.some((o) => gone.has(o.id) && (o.spec as { veth?: { hostSide?: string } } | undefined)?.veth?.hostSide === what);
      if (inGone) { release('goes with its namespace', undefined); continue; }
      const present = findLink(host, what) !== undefined;
      release(present ? 'present' : 'absent (already gone)', present ? ['ip', 'link', 'del', 'dev', what] : undefined);
      continue;
    }
    const [ns, dev] = first.split('/');
    if (gone.has(ns) || !existing.includes(ns) || what !== 'address') { release('goes with its namespace', undefined); continue; }
    const present = ipv4Addresses(inside(ns), dev).includes(address);
    release(present ? 'present' : 'absent', present ? ['ip', '-n', ns, 'addr', 'del', address, 'dev', dev] : undefined,
      present ? [{ argv: ['ip', '-n', ns, 'addr', 'add', address, 'dev', dev] }] : []);
  }
}

export function namespaceBootSteps(node: ClusterNode): BootStep[] {
  const steps: BootStep[] = [];
  for (const ns of node.namespaces) {
    const { hostSide, name: peer, bridge, address } = ns.veth;
    steps.push({ unless: ['ip', 'netns', 'exec', ns.name, 'true'], run: ['ip', 'netns', 'add', ns.name] });
    steps.push({ unless: ['ip', 'link', 'show', 'dev', hostSide], run: ['ip', 'link', 'add', hostSide, 'type', 'veth', 'peer', 'name', peer, 'netns', ns.name] });
    if (bridge !== undefined) steps.push({ run: ['ip', 'link', 'set', 'dev', hostSide, 'master', bridge] });
    steps.push({ run: ['ip', 'link', 'set', 'dev', hostSide, 'up'] });
    steps.push({ run: ['ip', '-n', ns.name, 'addr', 'replace', address, 'dev', peer] });
    steps.push({ run: ['ip', '-n', ns.name, 'link', 'set', 'dev', peer, 'up'] });
    steps.push({ run: ['ip', '-n', ns.name, 'link', 'set', 'dev', 'lo', 'up'] });
    if (ns.defaultRoute !== undefined) steps.push({ run: ['ip', '-n', ns.name, 'route', 'replace', 'default', 'via', ns.defaultRoute] });
  }
  return steps;
}
