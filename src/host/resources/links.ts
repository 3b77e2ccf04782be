/**
 * link: the node's own interfaces (node.interfaces): each is up, has its MTU when one is given, and carries its
 * addresses. Interfaces are not created (they are hardware or the lab's veths); a missing one makes the first
 * command fail with `Cannot find device`, which reverts the run. Addresses netstrap did not ask for are left
 * alone: only the listed ones are added (and, on revert, deleted again). What netstrap changes is owned (an address
 * it added, an MTU or link state it set, with the old value): an address no longer listed is deleted (a changed
 * address replaces the old one), an MTU or state no longer asked for goes back to the recorded value.
 * Persisted by the boot script of persist.ts (bootSteps below).
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import { parseRecord } from '../ownership';
import type { FactSet } from '../fact';
import { interfaceIds } from '../owned-ids';
import type { BootStep, Change, Command, OwnedObject, ResourceKind } from '../types';
import { addressArgs, deleteAddress, immediateAddresses, restoreArgs } from './addresses';
import { findLink, ipFacts, ipState, interfaceAddresses, isUp } from './ip-facts';

export const links: ResourceKind = {
  kind: 'link',
  ownedIds: interfaceIds,
  bootSteps: linkBootSteps,

  // Read even when no interface is declared: what netstrap owns may have to go back.
  facts() {
    return ipFacts();
  },

  plan(node: ClusterNode, facts: FactSet, cluster: Cluster, owned: ReadonlyArray<OwnedObject> = []): Change[] {
    const state = ipState(facts);
    const changes: Change[] = [];
    const declared = new Set<string>();
    const immediate = immediateAddresses(node, cluster);
    for (const iface of node.interfaces) {
      const link = findLink(state, iface.name);
      const dev = iface.name;
      if (iface.mtu !== undefined) declared.add(interfaceIds.key({ dev, part: 'mtu' }));
      declared.add(interfaceIds.key({ dev, part: 'state' }));
      if (iface.mtu !== undefined && link?.mtu !== iface.mtu) {
        changes.push({
          kind: 'link',
          target: `${dev} mtu`,
          before: link?.mtu === undefined ? 'absent' : String(link.mtu),
          after: String(iface.mtu),
          apply: [{ argv: ['ip', 'link', 'set', 'dev', dev, 'mtu', String(iface.mtu)] }],
          revert: link?.mtu === undefined ? [] : [{ argv: ['ip', 'link', 'set', 'dev', dev, 'mtu', String(link.mtu)] }],
          owns:
            link?.mtu === undefined
              ? []
              : [{ kind: 'link', id: interfaceIds.key({ dev, part: 'mtu' }), prior: link.mtu }],
        });
      }
      if (!isUp(link)) {
        changes.push({
          kind: 'link',
          target: `${dev} state`,
          before: link ? 'down' : 'absent',
          after: 'up',
          apply: [{ argv: ['ip', 'link', 'set', 'dev', dev, 'up'] }],
          revert: link ? [{ argv: ['ip', 'link', 'set', 'dev', dev, 'down'] }] : [],
          owns: link ? [{ kind: 'link', id: interfaceIds.key({ dev, part: 'state' }), prior: 'down' }] : [],
        });
      }
      const present = interfaceAddresses(state, dev);
      for (const address of iface.addresses) {
        declared.add(interfaceIds.key({ dev, part: 'address', address }));
        if (present.includes(address)) continue;
        changes.push({
          kind: 'link',
          target: `${dev} address ${address}`,
          before: 'absent',
          after: 'present',
          apply: [{ argv: ['ip', ...addressArgs('add', address, dev, immediate)] }],
          revert: [deleteAddress(address, dev)],
          owns: [{ kind: 'link', id: interfaceIds.key({ dev, part: 'address', address }), prior: null }],
        });
      }
    }
    for (const entry of owned) {
      const id = declared.has(entry.id) ? undefined : interfaceIds.read(entry.id);
      if (!id) continue;
      const { dev } = id;
      const link = findLink(state, dev);
      const change = (
        before: string,
        after: string,
        apply: string[] | Command | undefined,
        revert: string[] | undefined,
        afterAdditions = false,
      ) =>
        changes.push({
          kind: 'link',
          target: entry.id,
          before,
          after,
          apply: apply === undefined ? [] : [Array.isArray(apply) ? { argv: apply } : apply],
          revert: revert ? [{ argv: revert }] : [],
          releases: [entry],
          ...(afterAdditions ? { afterAdditions } : {}),
        });
      if (id.part === 'address') {
        const { address } = id;
        const present = interfaceAddresses(state, dev).includes(address);
        // Replaced by an address this run adds to the same device: it goes once that one is up.
        const replaced = changes.some((c) => !c.releases && c.target.startsWith(`${dev} address `));
        change(
          present ? 'present' : 'absent (already gone)',
          'absent',
          present ? deleteAddress(address, dev) : undefined,
          present ? ['ip', ...restoreArgs(address, dev)] : undefined,
          present && replaced,
        );
      } else if (id.part === 'mtu' && typeof entry.prior === 'number') {
        const back = link && link.mtu !== entry.prior;
        change(
          String(link?.mtu ?? 'absent'),
          String(entry.prior),
          back ? ['ip', 'link', 'set', 'dev', dev, 'mtu', String(entry.prior)] : undefined,
          back ? ['ip', 'link', 'set', 'dev', dev, 'mtu', String(link!.mtu)] : undefined,
        );
      } else if (id.part === 'state') {
        const back = isUp(link);
        change(
          link ? (back ? 'up' : 'down') : 'absent',
          'down',
          back ? ['ip', 'link', 'set', 'dev', dev, 'down'] : undefined,
          back ? ['ip', 'link', 'set', 'dev', dev, 'up'] : undefined,
        );
      }
    }
    return changes;
  },

  warnings(node: ClusterNode, facts: FactSet, cluster: Cluster): string[] {
    return undeclaredAddresses(node, facts, cluster).map(
      ({ dev, address, path }) =>
        `${node.name}: ${dev} has address ${address}, which the cluster file does not declare (${path}) and netstrap ` +
        `did not add: netstrap leaves it in place; if it is stale, remove it: \`${removeCommand(address, dev)}\``,
    );
  },
};

/** An address netstrap leaves alone on an interface the cluster file declares. */
export interface UndeclaredAddress {
  readonly dev: string;
  /** `a.b.c.d/n` or `fd00::1/64` */
  readonly address: string;
  /** Where the cluster file lists the interface's addresses (`nodes[1].interfaces[0].addresses`). */
  readonly path: string;
}

/**
 * Addresses (IPv4, and IPv6 but link-local) on the interfaces and bridges the cluster file declares for `node` that it does not list and that
 * netstrap did not add (its ownership record does not hold them): an address changed in the file that was there
 * before netstrap, say. netstrap never removes what it did not create; plan warns and diagnose reports them.
 */
export function undeclaredAddresses(node: ClusterNode, facts: FactSet, cluster: Cluster): UndeclaredAddress[] {
  const state = ipState(facts);
  const owned = new Set(
    parseRecord(facts, cluster.name)
      .objects.filter((o) => o.kind === 'link' || o.kind === 'bridge')
      .map((o) => o.id),
  );
  const index = cluster.nodes.findIndex((n) => n.name === node.name);
  const devices = [
    ...node.interfaces.map((iface, k) => ({ ...iface, path: `nodes[${index}].interfaces[${k}].addresses` })),
    ...node.bridges.map((bridge, k) => ({ ...bridge, path: `nodes[${index}].bridges[${k}].addresses` })),
  ];
  return devices.flatMap(({ name: dev, addresses, path }) =>
    interfaceAddresses(state, dev, true)
      .filter(
        (address) => !addresses.includes(address) && !owned.has(interfaceIds.key({ dev, part: 'address', address })),
      )
      .map((address) => ({ dev, address, path })),
  );
}

/** The command a user runs to remove an address netstrap leaves alone. */
export function removeCommand(address: string, dev: string): string {
  return `ip addr del ${address} dev ${dev}`;
}

/** Boot-time commands that bring the interfaces back as wanted (idempotent). */
export function linkBootSteps(node: ClusterNode, cluster?: Cluster): BootStep[] {
  const steps: BootStep[] = [];
  const immediate = immediateAddresses(node, cluster);
  for (const iface of node.interfaces) {
    const dev = iface.name;
    if (iface.mtu !== undefined)
      steps.push({ run: ['ip', 'link', 'set', 'dev', dev, 'mtu', String(iface.mtu)], target: `${dev} mtu` });
    steps.push({ run: ['ip', 'link', 'set', 'dev', dev, 'up'], target: `${dev} state` });
    for (const address of iface.addresses)
      steps.push({
        run: ['ip', ...addressArgs('replace', address, dev, immediate)],
        target: `${dev} address ${address}`,
      });
  }
  return steps;
}
