/**
 * The order of a node's plan (node-plan.ts): removals first (dependents before what they depend on), then every other
 * change in kind order, then the removals that wait for the additions (an address replaced by another: issue 25).
 */
import { FactSet } from '../../src/host/fact';
import { planNode } from '../../src/host/node-plan';
import type { Change, ResourceKind } from '../../src/host/types';
import { model } from './resources/model';

const { cluster, node } = model();

function kind(name: string, changes: Change[]): ResourceKind {
  return { kind: name, facts: () => [], plan: () => changes };
}

const change = (kindName: string, target: string, extra: Partial<Change> = {}): Change => ({
  kind: kindName,
  target,
  before: 'x',
  after: 'y',
  apply: [],
  revert: [],
  ...extra,
});
const released = (kindName: string, id: string) => [{ kind: kindName, id, prior: null }];

test('an address replaced by another goes after the additions; other removals still go first, in reverse kind order', () => {
  const kinds = [
    kind('link', [
      change('link', 'eth0 address 10.0.0.21/24'),
      change('link', 'eth0 address 10.0.0.11/24', {
        releases: released('link', 'eth0 address 10.0.0.11/24'),
        afterAdditions: true,
      }),
    ]),
    kind('route', [
      change('route', '10.9.0.0/16', { releases: released('route', '10.9.0.0/16 metric 0') }),
      change('route', '10.8.0.0/16'),
    ]),
  ];
  expect(planNode(node, cluster, kinds, new FactSet({})).map((c) => `${c.kind} ${c.target}`)).toEqual([
    'route 10.9.0.0/16',
    'link eth0 address 10.0.0.21/24',
    'route 10.8.0.0/16',
    'link eth0 address 10.0.0.11/24',
  ]);
});
