/**
 * What a node's plan means at a glance, as Terraform and Ansible show it: each change is a create (`+`), a change of
 * something that exists (`~`) or a removal (`-`), counted per node and per run (`+3 ~1 -0`). The ownership record's
 * own update is bookkeeping: counted apart and shown as one line, never as a diff.
 *
 * A kind's plan makes one object in several steps (a namespace, its veth, the veth's master, address, state, default
 * route): the steps after the first are its parts. A part of an object being created is a create too, so a new
 * namespace reads `+` all through, and `plan --brief` shows the object as one line.
 */
import { isRemoval } from './node-plan';
import { OWNERSHIP_KIND } from './ownership';
import type { Change } from './types';

export type ChangeAction = 'create' | 'update' | 'remove';

export const ACTION_SYMBOL: Readonly<Record<ChangeAction, '+' | '~' | '-'>> = { create: '+', update: '~', remove: '-' };

/** Counts of changes by action, as Terraform's JSON names them (`add`, `change`, `remove`). */
export interface ChangeCounts {
  readonly add: number;
  readonly change: number;
  readonly remove: number;
}

/** One change of a node's plan with what it means. */
export interface PlanStep {
  readonly change: Change;
  readonly action: ChangeAction;
  /** netstrap's own record (the ownership record), not the node's network state. */
  readonly bookkeeping: boolean;
  /** Index (in the node's plan) of the first step of the object this step is part of; its own index when it is first. */
  readonly object: number;
}

/** The action a change takes by itself: removals release owned objects or leave nothing; creates start from nothing. */
function ownAction(change: Change): ChangeAction {
  if (isRemoval(change) || /^absent\b/.test(change.after)) return 'remove';
  return /^absent\b/.test(change.before) ? 'create' : 'update';
}

/**
 * True when `target` names a part of the object `first` names (same kind): `v-net-0 state` of `v-net-0`,
 * `red/veth-red address …` of `red`, `veth-red-br master` of `red veth veth-red-br` (the object's own words).
 */
function partOf(target: string, first: string): boolean {
  if (target.startsWith(`${first} `) || target.startsWith(`${first}/`)) return true;
  const head = target.split(/[ /]/)[0];
  return first.split(' ').slice(1).includes(head);
}

/** Every change of one node's plan with its action and the object it belongs to. */
export function planSteps(changes: ReadonlyArray<Change>): PlanStep[] {
  const steps: PlanStep[] = [];
  changes.forEach((change, index) => {
    const whole = steps.find((s) => s.change.kind === change.kind && partOf(change.target, s.change.target));
    const object = whole ? whole.object : index;
    const own = ownAction(change);
    const action = own !== 'remove' && steps[object]?.action === 'create' ? 'create' : own;
    steps.push({ change, action, bookkeeping: change.kind === OWNERSHIP_KIND, object });
  });
  return steps;
}

/** The counts of a node's changes (bookkeeping left out). */
export function countChanges(changes: ReadonlyArray<Change>): ChangeCounts {
  const steps = planSteps(changes).filter((s) => !s.bookkeeping);
  const count = (action: ChangeAction) => steps.filter((s) => s.action === action).length;
  return { add: count('create'), change: count('update'), remove: count('remove') };
}

export function addCounts(a: ChangeCounts, b: ChangeCounts): ChangeCounts {
  return { add: a.add + b.add, change: a.change + b.change, remove: a.remove + b.remove };
}

export const NO_CHANGES: ChangeCounts = { add: 0, change: 0, remove: 0 };

/** `+3 ~1 -0`. */
export function formatCounts(counts: ChangeCounts): string {
  return `+${counts.add} ~${counts.change} -${counts.remove}`;
}
