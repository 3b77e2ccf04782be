/**
 * drift: what `netstrap plan` would change on the node, summarized — planned by the provisioner's own code
 * (node-plan.ts planNode over every resource kind, with the node's ownership record) from the same facts diagnose
 * read, so the two can never disagree. Three kinds of difference are told apart: removals (owned objects the file
 * no longer declares), live state that would not come back after a reboot, or would come back differently (the
 * boot mechanism, /etc/netstrap/network.sh and its unit, differs from what the file needs), and every other change.
 */
import { isRemoval, planNode } from '../node-plan';
import { resourceKinds } from '../resources';
import { BOOT_SCRIPT } from '../resources/persist';
import type { Change } from '../types';
import { effectiveNode } from '../../model/effective';
import { fail, ok, RUN_BOOTSTRAP, type Finding, type NodeCheck } from './types';

/** How many changes are spelled out in the message; the rest are counted. */
const SHOWN = 5;

function describe(change: Change): string {
  return `${isRemoval(change) ? '- ' : ''}${change.kind} ${change.target} (${change.before} → ${change.after})`;
}

export const driftChecks: NodeCheck = ({ model, self }): Finding[] => {
  let changes: Change[];
  try {
    changes = planNode(effectiveNode(model.cluster, self.node), model.cluster, resourceKinds, self.facts).filter(
      (c) => c.kind !== 'ownership',
    );
  } catch (error) {
    return [
      fail(
        'drift',
        `${self.node.name}: cannot plan: ${(error as Error).message}`,
        'look at the named file on the node; netstrap will not change a node whose ownership record it cannot read',
      ),
    ];
  }
  if (changes.length === 0)
    return [
      ok(
        'drift',
        `${self.node.name}: converged: \`netstrap plan\` would change nothing, and what boot rebuilds is the same`,
      ),
    ];
  const findings: Finding[] = [];
  const boot = changes.filter((c) => c.kind === 'boot-persistence');
  const live = changes.filter((c) => c.kind !== 'boot-persistence');
  const removals = live.filter(isRemoval);
  if (live.length > 0) {
    const shown = live.slice(0, SHOWN).map(describe);
    const more = live.length > SHOWN ? `; and ${live.length - SHOWN} more` : '';
    findings.push(
      fail(
        'drift',
        `${self.node.name}: not converged: ${live.length} change(s) pending` +
          `${removals.length > 0 ? ` (${removals.length} removal(s) of what the file no longer declares)` : ''}: ${shown.join('; ')}${more}`,
        `${RUN_BOOTSTRAP} (\`netstrap plan\` shows each change)`,
        {
          observed: live.map((c) => `${c.kind} ${c.target}: ${c.before}`).join('; '),
          expected: live.map((c) => `${c.kind} ${c.target}: ${c.after}`).join('; '),
        },
      ),
    );
  }
  if (boot.length > 0) {
    findings.push(
      fail(
        'drift.boot',
        `${self.node.name}: what boot rebuilds differs from the cluster file: ${boot.map(describe).join('; ')}` +
          `${live.length === 0 ? ': the live state is right but would not survive a reboot as it is' : ''}`,
        `${RUN_BOOTSTRAP} (it rewrites ${BOOT_SCRIPT} and its unit)`,
        {
          observed: boot.map((c) => `${c.target}: ${c.before}`).join('; '),
          expected: boot.map((c) => `${c.target}: ${c.after}`).join('; '),
        },
      ),
    );
  }
  return findings;
};
