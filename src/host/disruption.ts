/**
 * Disruption checks: before anything is applied to a node, each check looks at the node's plan and facts and
 * names the changes that would disrupt something the run depends on (the controller's own SSH session, a live
 * node's pod subnet …). One reason is enough: the node is refused (status `refused`, exit 2) and nothing is sent
 * to it, unless the run allows disruption, in which case it is applied under commit-confirm (confirm.ts) — except
 * a refusal no revert could undo (`irreversible`), which stands whatever the run allows. What a check sees that
 * disturbs nothing the run depends on (a route the node loses, not the session's) is a warning of the node's plan.
 *
 * A check is registered by appending it to `disruptionChecks` in guards.ts; it may read facts of its own, in the
 * same fact round trip as the resource kinds (facts are shared the same way, see fact.ts).
 */
import { formatPath } from '../model/errors';
import type { Cluster, ClusterNode } from '../model/schema';
import type { FactReader, FactSet } from './fact';
import type { Change } from './types';

/** Why one planned change is refused. */
export interface Refusal {
  /** The cluster-file entry that asks for the change, e.g. `nodes[0].routes[1]` (or the change, when none does). */
  readonly entry: string;
  /** The change, as the plan shows it (`route 10.250.50.0/24`). */
  readonly change: string;
  /** What it would disrupt, in words. */
  readonly reason: string;
  /**
   * Why commit-confirm's revert could not undo it (a route the kernel learnt from a router, an address networkd
   * drops): set, the node is refused even under --allow-disruption.
   */
  readonly irreversible?: string;
}

/**
 * A plan that cannot be applied as declared, found in the facts (a name the node already uses for something else):
 * the node is refused before anything is sent to it, with or without --allow-disruption, since applying would only
 * fail and revert. Thrown by a resource kind's plan; runHost turns it into status `refused`.
 */
export class PlanConflict extends Error {
  constructor(readonly refusal: Refusal) {
    super(describeRefusal(refusal));
    this.name = 'PlanConflict';
  }
}

/** What a check is given: the node, where it is in the cluster file, its facts and its whole plan. */
export interface DisruptionContext {
  readonly node: ClusterNode;
  readonly cluster: Cluster;
  readonly facts: FactSet;
  readonly changes: ReadonlyArray<Change>;
}

/** A check reads facts of its own (FactReader.facts), read in the round trip with the resource kinds'. */
export interface DisruptionCheck extends FactReader {
  /** Short name, shown with its refusals. */
  readonly name: string;
  /** The refusals for this plan; [] when nothing it guards is disturbed. */
  check(context: DisruptionContext): Refusal[];
  /** What the plan would disturb that the run does not depend on, as warnings of the node's plan. */
  warnings?(context: DisruptionContext): string[];
}

/** Every check's refusals for a node's plan (none for an empty plan). */
export function findRefusals(checks: ReadonlyArray<DisruptionCheck>, context: DisruptionContext): Refusal[] {
  if (context.changes.length === 0) return [];
  return checks.flatMap((check) => check.check(context));
}

/** Every check's warnings for a node's plan (none for an empty plan). */
export function findWarnings(checks: ReadonlyArray<DisruptionCheck>, context: DisruptionContext): string[] {
  if (context.changes.length === 0) return [];
  return checks.flatMap((check) => check.warnings?.(context) ?? []);
}

/** The cluster-file path of a field of a node, e.g. entryPath(cluster, node, 'routes', 1) → `nodes[0].routes[1]`. */
export function entryPath(cluster: Cluster, node: ClusterNode, ...path: ReadonlyArray<string | number>): string {
  // By name: the provisioner works on the node with what netstrap derives for it (a copy, src/model/effective.ts).
  return formatPath(['nodes', cluster.nodes.findIndex((n) => n.name === node.name), ...path]);
}

/** One line per refusal: `nodes[0].routes[1] (route 10.250.50.0/24): would …`. */
export function describeRefusal(refusal: Refusal): string {
  return `${refusal.entry} (${refusal.change}): ${refusal.reason}${refusal.irreversible ? ` (not even under --allow-disruption: ${refusal.irreversible})` : ''}`;
}
