/**
 * The plan as users read it (issue 24): `+` create, `~` change, `-` remove; a summary line per host and for the run
 * (`+3 ~1 -0`); the ownership record as one line; `--brief` (one line per object, on one screen for the 3-node
 * learner lab); colour only on a terminal and never with NO_COLOR; the progress line; the JSON summary.
 */
import * as fs from 'fs';
import { colourWanted } from '../../src/cli/output';
import { FactSet } from '../../src/host/fact';
import { planNode } from '../../src/host/node-plan';
import { countChanges, planSteps } from '../../src/host/plan-summary';
import type { ClusterResult, HostResult } from '../../src/host/provision';
import { formatPlan, progressLine, resultJson } from '../../src/host/report';
import { resourceKinds } from '../../src/host/resources';
import type { Change } from '../../src/host/types';
import { effectiveNodes } from '../../src/model/effective';
import { loadClusterFile } from '../../src/model/load';
import { fixture } from '../support/lab';

const host = (node: string, extra: Partial<HostResult>): HostResult => ({
  node,
  status: 'pending',
  changes: [],
  commands: [],
  warnings: [],
  roundTrips: 1,
  verifyRoundTrips: 0,
  durationMs: 100,
  ...extra,
});

const plan = (hosts: HostResult[], mode: ClusterResult['mode'] = 'plan'): ClusterResult => ({
  mode,
  cluster: 'demo',
  hosts,
  checks: [],
  durationMs: 500,
  ok: true,
});

const change = (kind: string, target: string, before: string, after: string, extra: Partial<Change> = {}): Change => ({
  kind,
  target,
  before,
  after,
  apply: [{ argv: ['true', target] }],
  revert: [],
  ...extra,
});

/** A namespace made in steps, a sysctl changed, a route no longer declared, and the ownership record's update. */
const changes: Change[] = [
  change('route', '10.9.0.0/16', 'via 10.0.0.1', 'absent', {
    releases: [{ kind: 'route', id: '10.9.0.0/16', prior: null }],
  }),
  change('netns', 'red', 'absent', 'present'),
  change('netns', 'red veth veth-red-br', 'absent', 'veth veth-red-br ↔ red/veth-red'),
  change('netns', 'veth-red-br master', 'none', 'v-net-0'),
  change('netns', 'red/veth-red address 10.1.0.2/24', 'absent', 'present'),
  change('sysctl', 'net.ipv4.ip_forward', '0', '1'),
  change('ownership', '/etc/netstrap/demo.state.json', '1 owned object(s)', '4 owned object(s)', {
    apply: [{ writeFile: '/etc/netstrap/demo.state.json', content: '{}\n' }],
    diff: '--- a\n+++ b\n@@ -1 +1 @@\n-{ "objects": [] }\n+{ "objects": ["red"] }\n',
  }),
];

test('each change is marked + create, ~ change or - remove; the parts of an object being created are creates', () => {
  expect(planSteps(changes).map((s) => `${s.action} ${s.change.kind} ${s.change.target}`)).toEqual([
    'remove route 10.9.0.0/16',
    'create netns red',
    'create netns red veth veth-red-br',
    // `none → v-net-0` by itself is a change; as a part of the new namespace's veth it is a create.
    'create netns veth-red-br master',
    'create netns red/veth-red address 10.1.0.2/24',
    'update sysctl net.ipv4.ip_forward',
    'update ownership /etc/netstrap/demo.state.json',
  ]);
  expect(countChanges(changes)).toEqual({ add: 4, change: 1, remove: 1 });
  const text = formatPlan(plan([host('n1', { changes })]));
  expect(text.split('\n')).toEqual(
    expect.arrayContaining([
      '  - route 10.9.0.0/16 (no longer declared): via 10.0.0.1 → absent',
      '  + netns red: absent → present',
      '  + netns veth-red-br master: none → v-net-0',
      '  ~ sysctl net.ipv4.ip_forward: 0 → 1',
    ]),
  );
  expect(text).not.toMatch(/^ {2}~ netns/m);
});

test('a summary line per host and for the run; the ownership record is one line, never a diff', () => {
  const text = formatPlan(
    plan([host('n1', { changes }), host('n2', { status: 'ok' }), host('n3', { changes: [changes[5]] })]),
  );
  const lines = text.split('\n');
  expect(lines[0]).toBe('n1: +4 ~1 -1');
  expect(lines).toContain('n2: no changes');
  expect(lines).toContain('n3: +0 ~1 -0');
  expect(lines.at(-2)).toBe('plan: +4 ~2 -1 on 2 of 3 host(s); nothing was changed');
  expect(lines).toContain('  · ownership record /etc/netstrap/demo.state.json: 1 owned object(s) → 4 owned object(s)');
  expect(text).not.toContain('objects": [');
  expect(text).not.toContain('write /etc/netstrap/demo.state.json');
  // Other commands and diffs are there in the full plan.
  expect(lines).toContain('      $ true red');
});

test('refused and unreadable hosts keep their lines', () => {
  const text = formatPlan(
    plan([
      host('n1', { status: 'refused', changes: [changes[5]] }),
      host('n2', { status: 'unreachable', error: 'ssh root@n2:22: connect ETIMEDOUT' }),
    ]),
  );
  expect(text).toContain('n1: +0 ~1 -0: REFUSED (bootstrap sends nothing to this node)\n');
  expect(text).toContain('n2: UNREACHABLE: ssh root@n2:22: connect ETIMEDOUT\n');
  expect(text).toContain(
    'plan: +0 ~1 -0 on 1 of 2 host(s), 1 refused (pass --allow-disruption to apply under commit-confirm)',
  );
});

/** The plan of the 3-node learner lab (test/fixtures/i24-plan.yaml) from the facts of a bare lab node. */
function learnerLabPlan(): ClusterResult {
  const { cluster } = loadClusterFile(fixture('i24-plan.yaml'));
  const bare = JSON.parse(fs.readFileSync(fixture('host-facts/bare.json'), 'utf8')) as Record<string, string>;
  return plan(
    effectiveNodes(cluster).map((node) =>
      host(node.name, { changes: planNode(node, cluster, resourceKinds, new FactSet(bare)) }),
    ),
  );
}

test('--brief: one line per object (no commands, no diffs); the learner lab fits in 40 lines', () => {
  const result = learnerLabPlan();
  const full = formatPlan(result).trimEnd().split('\n');
  const brief = formatPlan(result, { brief: true }).trimEnd().split('\n');
  expect(full.length).toBeGreaterThan(150);
  expect(brief.length).toBeLessThanOrEqual(40);
  expect(brief.filter((line) => /^ {6}/.test(line))).toEqual([]);
  expect(brief).toContain('  + netns red (8 changes)');
  expect(brief).toContain('  + bridge v-net-0 (3 changes)');
  expect(brief).toContain('  ~ sysctl net.ipv4.ip_forward: 0 → 1');
  expect(brief.filter((line) => line.startsWith('  · ownership record '))).toHaveLength(3);
  // The same counts in both forms.
  expect(brief.at(-1)).toBe(full.at(-1));
  expect(brief.filter((line) => /^node01: \+\d+ ~\d+ -0$/.test(line))).toHaveLength(1);
});

test('colour: ANSI colours only when asked; asked only on a terminal, never with NO_COLOR or TERM=dumb', () => {
  const result = plan([host('n1', { changes })]);
  const coloured = formatPlan(result, { colour: true });
  expect(coloured).toContain('\x1b[32m  + netns red: absent → present\x1b[0m');
  expect(coloured).toContain('\x1b[33m  ~ sysctl net.ipv4.ip_forward: 0 → 1\x1b[0m');
  expect(coloured).toContain('\x1b[31m  - route 10.9.0.0/16');
  expect(formatPlan(result)).not.toContain('\x1b[');
  // Without the escapes, the coloured plan is the plain one.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ANSI escape is what is stripped
  expect(coloured.replace(/\x1b\[[0-9]+m/g, '')).toBe(formatPlan(result));

  const tty = { isTTY: true };
  expect(colourWanted(tty, {})).toBe(true);
  expect(colourWanted(tty, { NO_COLOR: '1' })).toBe(false);
  expect(colourWanted(tty, { NO_COLOR: '' })).toBe(true);
  expect(colourWanted(tty, { TERM: 'dumb' })).toBe(false);
  expect(colourWanted({ isTTY: false }, {})).toBe(false);
  expect(colourWanted({}, {})).toBe(false);
});

test('progress: with the host count known, the line shows during a long run, moves every second, stops at the end', () => {
  jest.useFakeTimers();
  try {
    const written: string[] = [];
    let now = 0;
    const progress = progressLine({ isTTY: true, write: (s) => written.push(s) }, 'bootstrap', 2, () => now)!;
    expect(written).toEqual([]);
    now = 1000;
    jest.advanceTimersByTime(1000);
    expect(written).toEqual(['\r\x1b[Kbootstrap: 0/2 hosts done, 1.0s']);
    now = 1500;
    progress(host('a', { status: 'changed' }), 1, 2);
    now = 2000;
    jest.advanceTimersByTime(1000);
    expect(written.at(-1)).toBe('\r\x1b[Kbootstrap: 1/2 hosts done (changed 1), 2.0s');
    progress(host('b', { status: 'changed' }), 2, 2);
    const count = written.length;
    jest.advanceTimersByTime(5000);
    expect(written).toHaveLength(count);
    expect(written.at(-1)).toBe('\r\x1b[Kbootstrap: 2/2 hosts done (changed 2), 2.0s\n');
    expect(progressLine({ isTTY: false, write: () => true }, 'bootstrap', 2)).toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  } finally {
    jest.useRealTimers();
  }
});

test('JSON: the same shape, with a summary per host and for the run', () => {
  const json = resultJson(plan([host('n1', { changes }), host('n2', { status: 'ok' })])) as {
    summary: unknown;
    hosts: Array<Record<string, unknown>>;
  };
  expect(json.summary).toEqual({ add: 4, change: 1, remove: 1 });
  expect(json.hosts[0]).toMatchObject({ node: 'n1', changes: 7, summary: { add: 4, change: 1, remove: 1 } });
  expect(json.hosts[1]).toMatchObject({ node: 'n2', changes: 0, summary: { add: 0, change: 0, remove: 0 } });
});
