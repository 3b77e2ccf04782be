/** What a staged rollout tells its user: the batches in plan, the BATCH column, the stop reason, skipped in JSON. */
import type { ClusterResult, HostResult } from '../../src/host/provision';
import { formatPlan, formatSummary, resultJson } from '../../src/host/report';

const host = (node: string, batch: number, extra: Partial<HostResult> = {}): HostResult => ({
  node,
  status: 'changed',
  changes: [],
  commands: [],
  warnings: [],
  roundTrips: 2,
  verifyRoundTrips: 0,
  durationMs: 100,
  batch,
  ...extra,
});
const reason = 'rollout stopped after batch 1 of 3: 1 of its 1 node(s) failed, more than --max-fail 0 allows';
const skipped = (node: string, batch: number) =>
  host(node, batch, { status: 'skipped', roundTrips: 0, durationMs: 0, reason: `${reason}; nothing was sent` });
const stopped: ClusterResult = {
  mode: 'bootstrap',
  cluster: 'demo',
  durationMs: 1000,
  ok: false,
  hosts: [
    host('k1', 1, { status: 'failed', error: 'step 2/3 (sysctl net.ipv4.ip_forward) failed: injected' }),
    skipped('k2', 2),
    skipped('k3', 2),
    skipped('k4', 3),
  ],
  checks: [],
  rollout: { serial: '1,50%', maxFail: '0', batches: 3, stoppedAfter: 1, reason },
};

test('the recap of a stopped rollout: a BATCH column, why it stopped, skipped counted', () => {
  const lines = formatSummary(stopped).split('\n');
  expect(lines[0]).toBe('HOST  BATCH  STATUS   CHANGES  ROUND TRIPS  VERIFY  DURATION');
  expect(lines[2]).toBe('k2    2      skipped  0        0            0       0.00s');
  expect(lines).toContain(
    `${reason}; 3 node(s) skipped, nothing was sent to them: fix the failure, then run bootstrap again`,
  );
  expect(lines.at(-2)).toContain('failed=1 unreachable=0 skipped=3;');
});

test('JSON: every host has its batch, skipped ones a reason; the rollout says where it stopped', () => {
  const json = resultJson(stopped) as {
    hosts: Array<{ node: string; status: string; batch: number; reason?: string }>;
    rollout: unknown;
  };
  expect(json.hosts.map((h) => [h.node, h.status, h.batch])).toEqual([
    ['k1', 'failed', 1],
    ['k2', 'skipped', 2],
    ['k3', 'skipped', 2],
    ['k4', 'skipped', 3],
  ]);
  expect(json.hosts[1].reason).toContain('more than --max-fail 0 allows');
  expect(json.hosts[0].reason).toBeUndefined();
  expect(json.rollout).toEqual(stopped.rollout);
});

test('without --serial nothing changes: no BATCH column, no rollout in JSON', () => {
  const plain: ClusterResult = { ...stopped, rollout: undefined, hosts: [host('k1', 1, { status: 'ok' })], ok: true };
  expect(formatSummary(plain).split('\n')[0]).toBe('HOST  STATUS  CHANGES  ROUND TRIPS  VERIFY  DURATION');
  expect(resultJson(plain)).not.toHaveProperty('rollout');
  expect(formatPlan({ ...plain, mode: 'plan' })).not.toContain('batch');
});

test('plan --serial lists the batches', () => {
  const plan: ClusterResult = {
    ...stopped,
    mode: 'plan',
    ok: true,
    hosts: [host('k1', 1), host('k2', 2), host('k3', 2), host('k4', 3)].map((h) => ({ ...h, status: 'pending' })),
    rollout: { serial: '1,50%', batches: 3 },
  };
  expect(formatPlan(plan)).toContain('batches (--serial 1,50%):\n  batch 1: k1\n  batch 2: k2, k3\n  batch 3: k4\n');
});
