/**
 * One node's plan from its facts: every kind's changes plus what the ownership record says netstrap owns. Removals
 * (owned objects no longer declared) come first, in reverse kind order, so dependents go before what they depend
 * on (routes before the bridge they use, a namespace's veth before the bridge it is plugged into); then every other
 * change in kind order; then the removals that wait for the additions (an address replaced by another: the new one
 * is up before the old one goes). The record's own update, when it changes, is the last step.
 */
import type { Cluster, ClusterNode } from '../model/schema';
import { ownedOf, OwnershipRecord, parseRecord, recordChange } from './ownership';
import type { FactSet } from './fact';
import type { Change, Drift, ResourceKind } from './types';

export interface NodePlanOptions {
  /** Leave owned objects the file no longer declares in place (they stay in the record). @default false */
  readonly keepRemoved?: boolean;
}

/** True for a change that removes or restores an owned object the cluster file no longer declares. */
export function isRemoval(change: Change): boolean {
  return (change.releases?.length ?? 0) > 0;
}

export function planNode(
  node: ClusterNode,
  cluster: Cluster,
  kinds: ReadonlyArray<ResourceKind>,
  facts: FactSet,
  options: NodePlanOptions = {},
): Change[] {
  const record: OwnershipRecord = parseRecord(facts, cluster.name);
  const perKind = kinds.map((kind) => kind.plan(node, facts, cluster, ownedOf(record, kind.kind)));
  const removals = options.keepRemoved ? [] : [...perKind].reverse().flatMap((changes) => changes.filter(isRemoval));
  const changes = [
    ...removals.filter((change) => !change.afterAdditions),
    ...perKind.flatMap((changes) => changes.filter((change) => !isRemoval(change))),
    ...removals.filter((change) => change.afterAdditions),
  ];
  if (changes.length === 0) return [];
  const update = recordChange(facts, record, changes);
  return update ? [...changes, update] : changes;
}

/** Every kind's warnings (problems that are not changes) from the same facts. */
export function nodeWarnings(
  node: ClusterNode,
  cluster: Cluster,
  kinds: ReadonlyArray<ResourceKind>,
  facts: FactSet,
): string[] {
  return kinds.flatMap((kind) =>
    kind.warnings ? kind.warnings(node, facts, cluster).map((w) => `${kind.kind}: ${w}`) : [],
  );
}

/**
 * Live ≠ boot: what a reboot would change on the node (objects live but not in its boot mechanism, or the reverse),
 * from the same facts as `changes`, the node's plan. Every drift comes with the changes that close it.
 */
export function nodeDrift(
  node: ClusterNode,
  cluster: Cluster,
  kinds: ReadonlyArray<ResourceKind>,
  facts: FactSet,
  changes: ReadonlyArray<Change>,
): Drift[] {
  return kinds.flatMap((kind) => kind.drift?.(node, facts, cluster, changes) ?? []);
}
