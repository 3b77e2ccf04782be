/**
 * netns: named network namespaces on the node (node.namespaces), like the seed's red and blue: the namespace
 * exists; a veth pair joins it to the node (`hostSide` on the node, optionally enslaved to a bridge, `name` inside);
 * both ends and the namespace's lo are up; the inside end has its address; the namespace has its default route
 * (usually via the bridge address). Facts come from `ip -n <ns> -j ...` (empty when the namespace is absent).
 * A namespace or veth created in this run is deleted on revert. Persisted by the boot script of persist.ts.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import type { BootStep, Change, RawFacts, ResourceKind } from '../types';
import { findLink, ipFacts, ipState, ipv4Addresses, isUp, netnsFact, netnsNames } from './ip-facts';

export const namespaces: ResourceKind = {
  kind: 'netns',
  bootSteps: namespaceBootSteps,

  factCommands(node: ClusterNode) {
    if (node.namespaces.length === 0) return {};
    let commands: Record<string, string[]> = { ...netnsFact(), ...ipFacts() };
    for (const ns of node.namespaces) commands = { ...commands, ...ipFacts(ns.name) };
    return commands;
  },

  plan(node: ClusterNode, facts: RawFacts, _cluster: Cluster): Change[] {
    if (node.namespaces.length === 0) return [];
    const host = ipState(facts);
    const existing = netnsNames(facts);
    const changes: Change[] = [];
    const change = (target: string, before: string, after: string, apply: string[], revert?: string[]) =>
      changes.push({ kind: 'netns', target, before, after, apply: [{ argv: apply }], revert: revert ? [{ argv: revert }] : [] });

    for (const ns of node.namespaces) {
      const name = ns.name;
      const inside = ipState(facts, name);
      const { hostSide, name: peer, bridge, address } = ns.veth;
      if (!existing.includes(name)) change(name, 'absent', 'present', ['ip', 'netns', 'add', name], ['ip', 'netns', 'del', name]);

      const hostLink = findLink(host, hostSide);
      if (!hostLink) {
        change(`${name} veth ${hostSide}`, 'absent', `veth ${hostSide} ↔ ${name}/${peer}`,
          ['ip', 'link', 'add', hostSide, 'type', 'veth', 'peer', 'name', peer, 'netns', name], ['ip', 'link', 'del', 'dev', hostSide]);
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
          existed ? ['ip', '-n', name, 'addr', 'del', address, 'dev', peer] : undefined);
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
    return changes;
  },
};

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
