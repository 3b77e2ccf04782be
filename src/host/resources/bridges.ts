/**
 * bridge: Linux bridges on the node (node.bridges), e.g. the seed's v-net-0: the bridge exists, is up and holds
 * its addresses (the gateway of the namespaces plugged into it). A bridge netstrap creates is deleted on revert;
 * an existing one only loses what this run added. Bridges dropped from the cluster file are not deleted (netstrap
 * cannot tell them from the user's own). Persisted by the boot script of persist.ts.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import type { BootStep, Change, RawFacts, ResourceKind } from '../types';
import { findLink, ipFacts, ipState, ipv4Addresses, isUp } from './ip-facts';

export const bridges: ResourceKind = {
  kind: 'bridge',
  bootSteps: bridgeBootSteps,

  factCommands(node: ClusterNode) {
    return node.bridges.length > 0 ? ipFacts() : {};
  },

  plan(node: ClusterNode, facts: RawFacts, _cluster: Cluster): Change[] {
    if (node.bridges.length === 0) return [];
    const state = ipState(facts);
    const changes: Change[] = [];
    for (const bridge of node.bridges) {
      const link = findLink(state, bridge.name);
      if (link && link.linkinfo?.info_kind !== 'bridge') {
        throw new Error(`${node.name}: interface ${bridge.name} exists but is a ${link.linkinfo?.info_kind ?? 'device'} of another kind, not a bridge`);
      }
      if (!link) {
        changes.push({
          kind: 'bridge', target: bridge.name, before: 'absent', after: 'bridge',
          apply: [{ argv: ['ip', 'link', 'add', 'name', bridge.name, 'type', 'bridge'] }],
          revert: [{ argv: ['ip', 'link', 'del', 'dev', bridge.name] }],
        });
      }
      if (!isUp(link)) {
        changes.push({
          kind: 'bridge', target: `${bridge.name} state`, before: link ? 'down' : 'absent', after: 'up',
          apply: [{ argv: ['ip', 'link', 'set', 'dev', bridge.name, 'up'] }],
          revert: link ? [{ argv: ['ip', 'link', 'set', 'dev', bridge.name, 'down'] }] : [],
        });
      }
      const present = ipv4Addresses(state, bridge.name);
      for (const address of bridge.addresses) {
        if (present.includes(address)) continue;
        changes.push({
          kind: 'bridge', target: `${bridge.name} address ${address}`, before: 'absent', after: 'present',
          apply: [{ argv: ['ip', 'addr', 'add', address, 'dev', bridge.name] }],
          // A bridge created in this run goes away with all its addresses; deleting them first is harmless.
          revert: link ? [{ argv: ['ip', 'addr', 'del', address, 'dev', bridge.name] }] : [],
        });
      }
    }
    return changes;
  },
};

export function bridgeBootSteps(node: ClusterNode): BootStep[] {
  const steps: BootStep[] = [];
  for (const bridge of node.bridges) {
    steps.push({ unless: ['ip', 'link', 'show', 'dev', bridge.name], run: ['ip', 'link', 'add', 'name', bridge.name, 'type', 'bridge'] });
    steps.push({ run: ['ip', 'link', 'set', 'dev', bridge.name, 'up'] });
    for (const address of bridge.addresses) steps.push({ run: ['ip', 'addr', 'replace', address, 'dev', bridge.name] });
  }
  return steps;
}
