/**
 * drift: what `netstrap plan` would change on the node, summarized — planned by the provisioner's own code
 * (facts.ts planNode over every resource kind) from the same facts diagnose read, so the two can never disagree.
 */
import { planNode } from '../fact-script';
import { resourceKinds } from '../resources';
import type { Change } from '../types';
import { fail, ok, RUN_BOOTSTRAP, type Finding, type NodeCheck } from './types';

/** How many changes are spelled out in the message; the rest are counted. */
const SHOWN = 5;

function describe(change: Change): string {
  return `${change.kind} ${change.target} (${change.before} → ${change.after})`;
}

export const driftChecks: NodeCheck = ({ model, self }): Finding[] => {
  const changes = planNode(self.node, model.cluster, resourceKinds, self.facts);
  if (changes.length === 0) return [ok('drift', `${self.node.name}: converged: \`netstrap plan\` would change nothing`)];
  const shown = changes.slice(0, SHOWN).map(describe);
  const more = changes.length > SHOWN ? `; and ${changes.length - SHOWN} more` : '';
  return [fail('drift', `${self.node.name}: not converged: ${changes.length} change(s) pending: ${shown.join('; ')}${more}`,
    `${RUN_BOOTSTRAP} (\`netstrap plan\` shows each change)`, {
      observed: changes.map((c) => `${c.kind} ${c.target}: ${c.before}`).join('; '),
      expected: changes.map((c) => `${c.kind} ${c.target}: ${c.after}`).join('; '),
    })];
};
