/**
 * Staged rollout on six real lab nodes (issue 22 item 3): `bootstrap --serial 1,50% --max-fail 0` makes the canary k1
 * batch 1, k2-k4 batch 2 and k5-k6 batch 3. A failure on the canary (a node-side sysctl wrapper that refuses to set
 * anything, or a connectivity check from it that fails) stops the rollout: the other five are reported `skipped`
 * with a reason, and their state is byte for byte what it was. Without a failure every node converges in three
 * batches. Under --allow-disruption each batch is confirmed before the next one connects.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bootstrapCluster } from '../../src/host/provision';
import { parseSerial } from '../../src/host/rollout';
import { type Connector, sshConnector } from '../../src/host/ssh';
import { loadClusterFile } from '../../src/model/load';
import { describeLab, fixture, useLab } from '../support/lab';
import { failingAt, netstrapAsync, snapshotAll } from './lab-support';

const file = fixture('i22-rollout.yaml');

interface JsonHost {
  node: string;
  status: string;
  batch: number;
  reason?: string;
  error?: string;
  roundTrips: number;
  verifyRoundTrips: number;
}
interface JsonResult {
  ok: boolean;
  hosts: JsonHost[];
  checks: Array<{ from: string; check: string; status: string; detail?: string }>;
  rollout?: { serial: string; maxFail?: string; batches: number; stoppedAfter?: number; reason?: string };
}

const OTHERS = ['k2', 'k3', 'k4', 'k5', 'k6'];
const BATCHES = { k1: 1, k2: 2, k3: 2, k4: 2, k5: 3, k6: 3 };

/** Makes `sysctl -w` fail on the node (a wrapper earlier in root's PATH), or removes that wrapper. */
const WRAPPER = '/usr/local/sbin/sysctl';
const wrapper = [
  '#!/bin/sh',
  '# Injected by rollout.lab.test.ts: refuses to set any sysctl.',
  'case " $* " in *" -w "*) echo "injected fault: sysctl -w refused on this node" >&2; exit 1;; esac',
  'exec /usr/sbin/sysctl "$@"',
].join('\n');

describeLab('bootstrap --serial --max-fail on a lab of six nodes', () => {
  const lab = useLab(file);
  const sshArgs = () => ['--ssh-config', lab.state.sshConfigFile];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-rollout-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  /** The fixture with `edit` applied, as a file of its own (the same lab reaches it through --ssh-config). */
  const variant = (name: string, edit: (text: string) => string) => {
    const out = path.join(tmp, name);
    fs.writeFileSync(out, edit(fs.readFileSync(file, 'utf8')));
    return out;
  };
  const bootstrap = async (cluster: string, ...args: string[]) => {
    const run = await netstrapAsync(['bootstrap', cluster, ...sshArgs(), '--json', ...args]);
    return { status: run.status, stderr: run.stderr, result: JSON.parse(run.stdout) as JsonResult };
  };
  const expectSkipped = (result: JsonResult, after: string) => {
    for (const node of OTHERS) {
      const host = result.hosts.find((h) => h.node === node)!;
      expect(host).toMatchObject({ status: 'skipped', batch: BATCHES[node as keyof typeof BATCHES], roundTrips: 0 });
      expect(host.reason).toContain('rollout stopped after batch 1 of 3');
      expect(host.reason).toContain(after);
    }
  };

  test('plan --serial shows the three batches and changes nothing', async () => {
    const before = await snapshotAll(lab.state);
    const run = await netstrapAsync(['plan', file, ...sshArgs(), '--serial', '1,50%']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      'batches (--serial 1,50%):\n  batch 1: k1\n  batch 2: k2, k3, k4\n  batch 3: k5, k6\n',
    );
    expect(await snapshotAll(lab.state)).toEqual(before);
  });

  test('a step failing on the canary: k1 is put back, the other five are skipped and untouched', async () => {
    const wrote = await lab.exec('k1', ['sh', '-c', `cat > ${WRAPPER} && chmod 755 ${WRAPPER}`], { input: wrapper });
    expect(wrote.status).toBe(0);
    // The SSH session finds the wrapper first (what netstrap's steps run is what a user's PATH gives).
    expect((await lab.ssh('k1', 'command -v sysctl')).stdout.trim()).toBe(WRAPPER);
    const before = await snapshotAll(lab.state);
    const run = await bootstrap(file, '--serial', '1,50%', '--max-fail', '0');
    expect(run.status).toBe(1);
    const k1 = run.result.hosts.find((h) => h.node === 'k1')!;
    expect(k1).toMatchObject({ status: 'failed', batch: 1, roundTrips: 2 });
    expect(k1.error).toContain('injected fault');
    expectSkipped(run.result, '1 of its 1 node(s) failed, more than --max-fail 0 allows');
    expect(run.result.rollout).toMatchObject({ serial: '1,50%', maxFail: '0', batches: 3, stoppedAfter: 1 });
    // Every check starts from or goes to a node that was skipped.
    expect(run.result.checks.map((c) => c.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(run.result.ok).toBe(false);
    const after = await snapshotAll(lab.state);
    for (const node of [...OTHERS, 'k1']) expect(after[node]).toEqual(before[node]);
    const removed = await lab.exec('k1', ['rm', WRAPPER]);
    expect(removed.status).toBe(0);
  }, 60000);

  test('a failed connectivity check from the canary counts as a failed node: the rollout stops after it', async () => {
    const withBadCheck = variant('bad-check.yaml', (text) =>
      text.replace('verify:\n', 'verify:\n  - { from: k1, ping: 192.168.190.250 }\n'),
    );
    const before = await snapshotAll(lab.state);
    const run = await bootstrap(withBadCheck, '--serial', '1,50%', '--max-fail', '0');
    expect(run.status).toBe(1);
    expect(run.result.hosts.find((h) => h.node === 'k1')).toMatchObject({ status: 'changed', batch: 1 });
    expect(run.result.checks[0]).toMatchObject({ from: 'k1', check: 'ping 192.168.190.250', status: 'failed' });
    expect(run.result.checks[1]).toMatchObject({ from: 'k1', status: 'skipped' });
    expect(run.result.checks[1].detail).toContain('target node k2 was skipped');
    expectSkipped(run.result, 'more than --max-fail 0 allows');
    const after = await snapshotAll(lab.state);
    for (const node of OTHERS) expect(after[node]).toEqual(before[node]);
    expect(after.k1).not.toEqual(before.k1);
  }, 60000);

  test('without a failure all six converge in three batches; a second run changes nothing in one round trip', async () => {
    const run = await bootstrap(file, '--serial', '1,50%', '--max-fail', '0');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.result.ok).toBe(true);
    expect(Object.fromEntries(run.result.hosts.map((h) => [h.node, h.batch]))).toEqual(BATCHES);
    // k1 converged in the run before (1 round trip now); the others change (2).
    expect(run.result.hosts.map((h) => [h.node, h.status, h.roundTrips])).toEqual([
      ['k1', 'ok', 1],
      ...OTHERS.map((node) => [node, 'changed', 2]),
    ]);
    expect(run.result.rollout).toEqual({ serial: '1,50%', maxFail: '0', batches: 3 });
    expect(run.result.checks.map((c) => c.status)).toEqual(['passed', 'passed', 'passed']);
    // k2's check waits for its target k6 (batch 3); still one verify round trip per source node.
    expect(run.result.hosts.map((h) => h.verifyRoundTrips)).toEqual([1, 1, 0, 0, 0, 1]);

    const again = await bootstrap(file, '--serial', '1,50%', '--max-fail', '0');
    expect(again.status).toBe(0);
    expect(again.result.hosts.map((h) => [h.status, h.roundTrips])).toEqual(Array(6).fill(['ok', 1]));
  }, 90000);

  test('under --allow-disruption each batch is confirmed before the next batch connects (+1 round trip)', async () => {
    // Every node's hosts entry changes, so that every node applies and confirms.
    const changed = variant('renamed.yaml', (text) => text.replace(/names: \[k/g, 'names: [peer-k'));
    const events: Array<{ node: string; what: 'connect' | 'confirm' }> = [];
    const recording: Connector = async (target, options) => {
      events.push({ node: target.name, what: 'connect' });
      const transport = await sshConnector(target, options);
      return {
        close: () => transport.close(),
        run: (script, timeoutMs) => {
          if (script.includes('/confirmed"')) events.push({ node: target.name, what: 'confirm' });
          return transport.run(script, timeoutMs);
        },
      };
    };
    const result = await bootstrapCluster(loadClusterFile(changed), {
      sshConfigFile: lab.state.sshConfigFile,
      connector: recording,
      allowDisruption: true,
      serial: parseSerial('2'),
    });
    expect(result.hosts.map((h) => [h.node, h.status, h.batch, h.roundTrips])).toEqual([
      ['k1', 'changed', 1, 3],
      ['k2', 'changed', 1, 3],
      ['k3', 'changed', 2, 3],
      ['k4', 'changed', 2, 3],
      ['k5', 'changed', 3, 3],
      ['k6', 'changed', 3, 3],
    ]);
    const batchOf = (node: string) => result.hosts.find((h) => h.node === node)!.batch!;
    for (const batch of [1, 2]) {
      const lastConfirm = Math.max(
        ...events.flatMap((e, i) => (e.what === 'confirm' && batchOf(e.node) === batch ? [i] : [])),
      );
      const firstConnect = events.findIndex((e) => e.what === 'connect' && batchOf(e.node) === batch + 1);
      expect(lastConfirm).toBeGreaterThanOrEqual(0);
      expect(lastConfirm).toBeLessThan(firstConnect);
    }
    expect(events.filter((e) => e.what === 'confirm')).toHaveLength(6);
  }, 120000);

  test('from the library: progress counts the skipped nodes too (a progress line ends at 6/6)', async () => {
    // Back to the fixture's hosts entries: every node has a change again; the canary's first step fails.
    const progress: Array<[string, string, number, number]> = [];
    const result = await bootstrapCluster(lab.model, {
      sshConfigFile: lab.state.sshConfigFile,
      connector: failingAt('k1', 1),
      serial: parseSerial('1,50%'),
      maxFail: { count: 0 },
      onHostDone: (host, done, total) => progress.push([host.node, host.status, done, total]),
    });
    expect(result.rollout).toMatchObject({ stoppedAfter: 1, batches: 3 });
    expect(progress).toEqual([
      ['k1', 'failed', 1, 6],
      ...OTHERS.map((node, i): [string, string, number, number] => [node, 'skipped', i + 2, 6]),
    ]);
  }, 60000);
});
