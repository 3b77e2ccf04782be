/**
 * bridge: Linux bridges on the node (node.bridges), e.g. the seed's v-net-0: the bridge exists, is up and holds
 * its addresses (the gateway of the namespaces plugged into it). A bridge netstrap creates is deleted on revert;
 * an existing one only loses what this run added. What netstrap creates or sets is owned: a bridge it created is
 * deleted once no longer declared (its ports are released by the kernel), an address no longer listed is deleted,
 * an existing bridge it brought up goes back down. Bridges netstrap did not create are never deleted. Persisted by
 * the boot script of persist.ts.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import type { FactSet } from '../fact';
import { interfaceIds } from '../owned-ids';
import type { BootStep, Change, Command, OwnedObject, ResourceKind } from '../types';
import { addressArgs, deleteAddress, immediateAddresses, restoreArgs } from './addresses';
import { findLink, type IpState, ipFacts, ipState, interfaceAddresses, isUp } from './ip-facts';

export const bridges: ResourceKind = {
  kind: 'bridge',
  ownedIds: interfaceIds,
  bootSteps: bridgeBootSteps,

  // Read even when no bridge is declared: bridges netstrap created may have to go.
  facts() {
    return ipFacts();
  },

  plan(node: ClusterNode, facts: FactSet, cluster: Cluster, owned: ReadonlyArray<OwnedObject> = []): Change[] {
    const state = ipState(facts);
    const changes: Change[] = [];
    const declared = new Set<string>();
    const immediate = immediateAddresses(node, cluster);
    for (const bridge of node.bridges) {
      const link = findLink(state, bridge.name);
      if (link && link.linkinfo?.info_kind !== 'bridge') {
        throw new Error(
          `${node.name}: interface ${bridge.name} exists but is a ${link.linkinfo?.info_kind ?? 'device'} of another kind, not a bridge`,
        );
      }
      declared
        .add(interfaceIds.key({ dev: bridge.name, part: 'interface' }))
        .add(interfaceIds.key({ dev: bridge.name, part: 'state' }));
      if (!link) {
        changes.push({
          kind: 'bridge',
          target: bridge.name,
          before: 'absent',
          after: 'bridge',
          apply: [{ argv: ['ip', 'link', 'add', 'name', bridge.name, 'type', 'bridge'] }],
          revert: [{ argv: ['ip', 'link', 'del', 'dev', bridge.name] }],
          owns: [{ kind: 'bridge', id: interfaceIds.key({ dev: bridge.name, part: 'interface' }), prior: null }],
        });
      }
      if (!isUp(link)) {
        changes.push({
          kind: 'bridge',
          target: `${bridge.name} state`,
          before: link ? 'down' : 'absent',
          after: 'up',
          apply: [{ argv: ['ip', 'link', 'set', 'dev', bridge.name, 'up'] }],
          revert: link ? [{ argv: ['ip', 'link', 'set', 'dev', bridge.name, 'down'] }] : [],
          owns: link
            ? [{ kind: 'bridge', id: interfaceIds.key({ dev: bridge.name, part: 'state' }), prior: 'down' }]
            : [],
        });
      }
      const present = interfaceAddresses(state, bridge.name);
      for (const address of bridge.addresses) {
        declared.add(interfaceIds.key({ dev: bridge.name, part: 'address', address }));
        if (present.includes(address)) continue;
        changes.push({
          kind: 'bridge',
          target: `${bridge.name} address ${address}`,
          before: 'absent',
          after: 'present',
          apply: [{ argv: ['ip', ...addressArgs('add', address, bridge.name, immediate)] }],
          // A bridge created in this run goes away with all its addresses; deleting them first is harmless.
          revert: link ? [deleteAddress(address, bridge.name)] : [],
          owns: [{ kind: 'bridge', id: interfaceIds.key({ dev: bridge.name, part: 'address', address }), prior: null }],
        });
      }
    }
    changes.push(...bridgeRemovals(state, owned, declared, changes));
    return changes;
  },
};

/**
 * Owned objects no longer declared: addresses and states first, then the bridges (reversed again by the engine:
 * bridges go last). `planned` holds the kind's other changes (an address replaced in this run goes after its
 * replacement is up).
 */
function bridgeRemovals(
  state: IpState,
  owned: ReadonlyArray<OwnedObject>,
  declared: ReadonlySet<string>,
  planned: ReadonlyArray<Change>,
): Change[] {
  const removed = owned.flatMap((entry) => {
    const id = declared.has(entry.id) ? undefined : interfaceIds.read(entry.id);
    return id ? [{ entry, id }] : [];
  });
  const removedBridges = new Set(removed.filter(({ id }) => id.part === 'interface').map(({ id }) => id.dev));
  const changes: Change[] = [];
  for (const { entry, id } of removed) {
    const name = id.dev;
    const link = findLink(state, name);
    const release = (
      before: string,
      after: string,
      apply: Command[] = [],
      revert: Command[] = [],
      afterAdditions = false,
    ) =>
      changes.push({
        kind: 'bridge',
        target: entry.id,
        before,
        after,
        apply,
        revert,
        releases: [entry],
        ...(afterAdditions ? { afterAdditions } : {}),
      });
    if (id.part === 'interface') {
      if (!link) {
        release('absent (already gone)', 'absent');
        continue;
      }
      // Revert rebuilds it as it is now: the bridge, its state, its addresses, its ports. A port that is gone by
      // then went with a namespace removed in the same run, whose own revert (later) plugs it in again.
      const ports = state.links.filter((l) => l.master === name).map((l) => l.ifname);
      release(
        'bridge',
        'absent',
        [{ argv: ['ip', 'link', 'del', 'dev', name] }],
        [
          { argv: ['ip', 'link', 'add', 'name', name, 'type', 'bridge'] },
          ...interfaceAddresses(state, name).map((a) => ({ argv: ['ip', ...restoreArgs(a, name)] })),
          ...ports.map((port) => ({
            argv: [
              'sh',
              '-c',
              'ip link show dev "$1" >/dev/null 2>&1 || exit 0; ip link set dev "$1" master "$2"',
              'sh',
              port,
              name,
            ],
          })),
          ...(isUp(link) ? [{ argv: ['ip', 'link', 'set', 'dev', name, 'up'] }] : []),
        ],
      );
    } else if (removedBridges.has(name) || !link) {
      release('goes with the bridge', 'absent');
    } else if (id.part === 'address') {
      const { address } = id;
      const present = interfaceAddresses(state, name).includes(address);
      // Replaced by an address this run adds to the same bridge: it goes once that one is up.
      const replaced = planned.some((c) => !c.releases && c.target.startsWith(`${name} address `));
      release(
        present ? 'present' : 'absent',
        'absent',
        present ? [deleteAddress(address, name)] : [],
        present ? [{ argv: ['ip', ...restoreArgs(address, name)] }] : [],
        present && replaced,
      );
    } else if (id.part === 'state') {
      release(
        isUp(link) ? 'up' : 'down',
        'down',
        isUp(link) ? [{ argv: ['ip', 'link', 'set', 'dev', name, 'down'] }] : [],
        isUp(link) ? [{ argv: ['ip', 'link', 'set', 'dev', name, 'up'] }] : [],
      );
    }
  }
  return changes;
}

export function bridgeBootSteps(node: ClusterNode, cluster?: Cluster): BootStep[] {
  const steps: BootStep[] = [];
  const immediate = immediateAddresses(node, cluster);
  for (const bridge of node.bridges) {
    const { name } = bridge;
    steps.push({
      unless: ['ip', 'link', 'show', 'dev', name],
      run: ['ip', 'link', 'add', 'name', name, 'type', 'bridge'],
      target: name,
    });
    steps.push({ run: ['ip', 'link', 'set', 'dev', name, 'up'], target: `${name} state` });
    for (const address of bridge.addresses)
      steps.push({
        run: ['ip', ...addressArgs('replace', address, name, immediate)],
        target: `${name} address ${address}`,
      });
  }
  return steps;
}
