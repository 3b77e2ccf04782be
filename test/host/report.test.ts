/** What users read: the plan, the recap table, the JSON, the live progress line. */
import { formatPlan, formatSummary, progressLine, resultJson } from '../../src/host/report';
import type { ClusterResult, HostResult } from '../../src/host/provision';

const host = (node: string, extra: Partial<HostResult>): HostResult => ({
  node,
  status: 'ok',
  changes: [],
  commands: [],
  warnings: [],
  roundTrips: 1,
  verifyRoundTrips: 0,
  durationMs: 120,
  ...extra,
});
const change = {
  kind: 'route',
  target: '10.0.2.0/24',
  before: 'absent',
  after: 'via 10.0.1.1',
  apply: [{ argv: ['ip', 'route', 'replace', '10.0.2.0/24', 'via', '10.0.1.1'] }],
  revert: [{ argv: ['ip', 'route', 'del', '10.0.2.0/24'] }],
};
const result: ClusterResult = {
  mode: 'bootstrap',
  cluster: 'demo',
  durationMs: 2345,
  ok: false,
  hosts: [
    host('node-a', {
      status: 'changed',
      changes: [change],
      commands: ['ip route replace 10.0.2.0/24 via 10.0.1.1'],
      roundTrips: 2,
      verifyRoundTrips: 1,
    }),
    host('node-bb', {
      status: 'unreachable',
      roundTrips: 0,
      error: 'ssh root@10.0.0.9:22: connect ETIMEDOUT',
      durationMs: 10000,
    }),
    host('node-c', { warnings: ['resolv.conf points at 127.0.0.53'] }),
  ],
  checks: [{ index: 0, from: 'node-a', check: 'ping 10.0.2.1', expect: 'success', status: 'passed' }],
};

test('the recap: one aligned row per host, errors and warnings below, totals last', () => {
  const lines = formatSummary(result).split('\n');
  expect(lines[0]).toBe('HOST     STATUS       CHANGES  ROUND TRIPS  VERIFY  DURATION');
  expect(lines[1]).toBe('node-a   changed      1        2            1       0.12s');
  expect(lines[2]).toBe('node-bb  unreachable  0        0            0       10.00s');
  expect(lines).toContain('node-bb: unreachable: ssh root@10.0.0.9:22: connect ETIMEDOUT');
  expect(lines).toContain('node-c: warning: resolv.conf points at 127.0.0.53');
  expect(lines).toContain('check node-a → ping 10.0.2.1 (expect success): passed');
  expect(lines).toContain(
    'bootstrap demo: 3 host(s): ok=1 changed=1 pending=0 failed=0 unreachable=1; checks 1/1 passed; 2.35s',
  );
});

test('the plan shows before → after and the exact commands', () => {
  const text = formatPlan({
    ...result,
    mode: 'plan',
    hosts: [host('node-a', { status: 'pending', changes: [change] })],
  });
  // Issue 24: a summary line per host and for the run, and `+` for a create (was `~` and `1 change(s)`).
  expect(text).toBe(
    'node-a: +1 ~0 -0\n  + route 10.0.2.0/24: absent → via 10.0.1.1\n      $ ip route replace 10.0.2.0/24 via 10.0.1.1\n' +
      'plan: +1 ~0 -0 on 1 of 1 host(s); nothing was changed\n',
  );
});

test('JSON: per host status, changes, commands, round trips, duration', () => {
  const json = resultJson(result) as { hosts: Array<Record<string, unknown>> };
  expect(json.hosts[0]).toMatchObject({
    node: 'node-a',
    status: 'changed',
    changes: 1,
    commands: ['ip route replace 10.0.2.0/24 via 10.0.1.1'],
    roundTrips: 2,
    verifyRoundTrips: 1,
    durationMs: 120,
  });
  expect(json.hosts[1]).toMatchObject({ status: 'unreachable', error: expect.stringContaining('ETIMEDOUT') });
});

test('progress: a self-overwriting line on a terminal, nothing elsewhere', () => {
  const written: string[] = [];
  const tty = { isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  let now = 1000;
  const progress = progressLine(tty, 'bootstrap', undefined, () => now)!;
  now += 1234;
  progress(result.hosts[0], 1, 2);
  now += 2000;
  progress(result.hosts[1], 2, 2);
  // Issue 24: the elapsed time was added.
  expect(written).toEqual([
    '\r\x1b[Kbootstrap: 1/2 hosts done (changed 1), 1.2s',
    '\r\x1b[Kbootstrap: 2/2 hosts done (changed 1, unreachable 1), 3.2s\n',
  ]);
  expect(progressLine({ isTTY: false } as NodeJS.WriteStream, 'plan')).toBeUndefined();
});

test('a refused host says "refused:" once (issue 24), an error without its status gets it', () => {
  const refused: ClusterResult = {
    ...result,
    hosts: [
      host('node-r', { status: 'refused', error: 'refused: removing address 10.0.0.5/24 cuts the SSH path' }),
      host('node-f', { status: 'failed', error: 'ip route replace exited 2' }),
    ],
  };
  const lines = formatSummary(refused).split('\n');
  expect(lines).toContain('node-r: refused: removing address 10.0.0.5/24 cuts the SSH path');
  expect(lines).toContain('node-f: failed: ip route replace exited 2');
  expect(formatSummary(refused)).not.toContain('refused: refused:');
});
