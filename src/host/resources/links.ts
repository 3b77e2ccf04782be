/**
 * link: the node's own interfaces (node.interfaces): each is up, has its MTU when one is given, and carries its
 * addresses. Interfaces are not created (they are hardware or the lab's veths); a missing one makes the first
 * command fail with `Cannot find device`, which reverts the run. Addresses netstrap did not ask for are left
 * alone: only the listed ones are added (and, on revert, deleted again).
 * Persisted by the boot script of persist.ts (bootSteps below).
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import type { BootStep, Change, RawFacts, ResourceKind } from '../types';
import { findLink, ipFacts, ipState, ipv4Addresses, isUp } from './ip-facts';

export const links: ResourceKind = {
  kind: 'link',
  bootSteps: linkBootSteps,

  factCommands(node: ClusterNode) {
    return node.interfaces.length > 0 ? ipFacts() : {};
  },

  plan(node: ClusterNode, facts: RawFacts, _cluster: Cluster): Change[] {
    if (node.interfaces.length === 0) return [];
    const state = ipState(facts);
    const changes: Change[] = [];
    for (const iface of node.interfaces) {
      const link = findLink(state, iface.name);
      const dev = iface.name;
      if (iface.mtu !== undefined && link?.mtu !== iface.mtu) {
        changes.push({
          kind: 'link', target: `${dev} mtu`, before: link?.mtu === undefined ? 'absent' : String(link.mtu), after: String(iface.mtu),
          apply: [{ argv: ['ip', 'link', 'set', 'dev', dev, 'mtu', String(iface.mtu)] }],
          revert: link?.mtu === undefined ? [] : [{ argv: ['ip', 'link', 'set', 'dev', dev, 'mtu', String(link.mtu)] }],
        });
      }
      if (!isUp(link)) {
        changes.push({
          kind: 'link', target: `${dev} state`, before: link ? 'down' : 'absent', after: 'up',
          apply: [{ argv: ['ip', 'link', 'set', 'dev', dev, 'up'] }],
          revert: link ? [{ argv: ['ip', 'link', 'set', 'dev', dev, 'down'] }] : [],
        });
      }
      const present = ipv4Addresses(state, dev);
      for (const address of iface.addresses) {
        if (present.includes(address)) continue;
        changes.push({
          kind: 'link', target: `${dev} address ${address}`, before: 'absent', after: 'present',
          apply: [{ argv: ['ip', 'addr', 'add', address, 'dev', dev] }],
          revert: [{ argv: ['ip', 'addr', 'del', address, 'dev', dev] }],
        });
      }
    }
    return changes;
  },
};

/** Boot-time commands that bring the interfaces back as wanted (idempotent). */
export function linkBootSteps(node: ClusterNode): BootStep[] {
  const steps: BootStep[] = [];
  for (const iface of node.interfaces) {
    if (iface.mtu !== undefined) steps.push({ run: ['ip', 'link', 'set', 'dev', iface.name, 'mtu', String(iface.mtu)] });
    steps.push({ run: ['ip', 'link', 'set', 'dev', iface.name, 'up'] });
    for (const address of iface.addresses) steps.push({ run: ['ip', 'addr', 'replace', address, 'dev', iface.name] });
  }
  return steps;
}
