/**
 * Issue 24's plan on a real 3-node learner lab (router between two LANs, bridge and namespaces, MASQUERADE, DNAT:
 * test/fixtures/i24-plan.yaml): `plan --brief` fits on one screen; `plan --out` then `bootstrap --plan` applies the
 * saved plan; a node changed by hand (`lab exec`) since the plan, or by another run, is refused with exit 2 and
 * nothing is sent to it; drift lines after a repairing bootstrap describe the node after the repair.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeLab, fixture, testStateDir, useLab } from '../support/lab';
import { netstrapAsync } from './lab-support';

const file = fixture('i24-plan.yaml');

interface JsonResult {
  hosts: Array<{ node: string; status: string; changes: number; error?: string; drift?: Array<{ message: string }> }>;
  summary: { add: number; change: number; remove: number };
}

describeLab('plan --brief, plan --out and bootstrap --plan on the learner lab', () => {
  const lab = useLab(file);
  const ssh = () => ['--ssh-config', lab.state.sshConfigFile];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-plan-lab-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const labExec = (node: string, ...argv: string[]) =>
    netstrapAsync(['lab', 'exec', file, node, '--state-dir', testStateDir(file), '--', ...argv]);
  const sysctl = async (node: string) => (await lab.exec(node, ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim();

  test('plan --brief fits in 40 lines; the full plan has every command; neither colours nor shows progress on a pipe', async () => {
    const brief = await netstrapAsync(['plan', file, ...ssh(), '--brief']);
    const full = await netstrapAsync(['plan', file, ...ssh()]);
    expect([brief.status, full.status]).toEqual([0, 0]);
    const lines = brief.stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(40);
    expect(full.stdout.trimEnd().split('\n').length).toBeGreaterThan(150);
    expect(lines[0]).toMatch(/^node01: \+\d+ ~2 -0$/);
    expect(lines).toContain('  + netns red (8 changes)');
    expect(lines).toContain('  + iptables nat PREROUTING dnat:tcp:80:192.168.15.2:80: absent → present');
    expect(lines.at(-1)).toMatch(/^plan: \+\d+ ~3 -0 on 3 of 3 host\(s\); nothing was changed$/);
    expect(lines.at(-1)).toBe(full.stdout.trimEnd().split('\n').at(-1));
    expect(full.stdout).toContain('      $ ip netns add red');
    for (const run of [brief, full]) {
      expect(run.stdout).not.toContain('\x1b[');
      expect(run.stderr).not.toContain('\r');
      expect(run.stdout).not.toContain('"objects"');
    }
  });

  test('plan --out then bootstrap --plan applies the saved plan', async () => {
    const saved = path.join(tmp, 'first.plan.json');
    const plan = await netstrapAsync(['plan', file, ...ssh(), '--json', '--out', saved]);
    expect(plan.status).toBe(0);
    expect(plan.stderr).toContain(`plan saved to ${saved}`);
    const planned = JSON.parse(plan.stdout) as JsonResult;
    expect(planned.summary).toEqual({ add: expect.any(Number), change: 3, remove: 0 });

    const run = await netstrapAsync(['bootstrap', file, ...ssh(), '--plan', saved, '--json']);
    expect([run.status, run.stderr]).toEqual([0, '']);
    const result = JSON.parse(run.stdout) as JsonResult;
    expect(result.hosts.map((h) => [h.node, h.status, h.changes])).toEqual(
      planned.hosts.map((h) => [h.node, 'changed', h.changes]),
    );
    expect(result.summary).toEqual(planned.summary);
    expect(await sysctl('router')).toBe('1');
    expect((await netstrapAsync(['plan', file, ...ssh(), '--brief'])).stdout).toMatch(
      /^node01: no changes\nrouter: no changes\nnode02: no changes\nplan: \+0 ~0 -0 on 0 of 3 host\(s\)/,
    );
  });

  test('after a repairing bootstrap, drift lines describe the node as it is after the run', async () => {
    // ip_forward off by hand: live ≠ boot (sysctl.d says 1) and a pending change.
    expect((await labExec('router', 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=0')).status).toBe(0);
    const plan = await netstrapAsync(['plan', file, ...ssh()]);
    expect(plan.stdout).toContain(
      '  ! drift: sysctl net.ipv4.ip_forward = 1 is in /etc/sysctl.d/90-netstrap.conf but not live',
    );
    const repair = await netstrapAsync(['bootstrap', file, ...ssh(), '--json']);
    expect(repair.status).toBe(0);
    const router = (JSON.parse(repair.stdout) as JsonResult).hosts.find((h) => h.node === 'router')!;
    expect(router.status).toBe('changed');
    expect(router.drift).toBeUndefined();
    expect((await netstrapAsync(['bootstrap', file, ...ssh()])).stdout).not.toContain('drift');
  });

  test('a node changed by hand since the plan is refused (exit 2, naming it and what moved); the others are applied', async () => {
    expect((await labExec('router', 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=0')).status).toBe(0);
    expect((await labExec('node02', 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1')).status).toBe(0);
    const saved = path.join(tmp, 'second.plan.json');
    expect((await netstrapAsync(['plan', file, ...ssh(), '--out', saved])).status).toBe(0);

    // By hand, after the plan: an address on the router.
    expect((await labExec('router', 'ip', 'addr', 'add', '192.168.2.77/24', 'dev', 'eth1')).status).toBe(0);
    const run = await netstrapAsync(['bootstrap', file, ...ssh(), '--plan', saved, '--json']);
    expect(run.status).toBe(2);
    const result = JSON.parse(run.stdout) as JsonResult;
    const router = result.hosts.find((h) => h.node === 'router')!;
    expect(router).toMatchObject({ status: 'refused', changes: 0 });
    expect(router.error).toBe(
      'refused: router changed since the plan was made (addresses read differently now); nothing was applied: ' +
        'run netstrap plan --out again and review it',
    );
    expect(await sysctl('router')).toBe('0');
    // node02 had nothing to change and did not move; node01 likewise.
    expect(result.hosts.filter((h) => h.node !== 'router').map((h) => h.status)).toEqual(['ok', 'ok']);
    const text = await netstrapAsync(['bootstrap', file, ...ssh(), '--plan', saved]);
    expect(text.status).toBe(2);
    expect(text.stdout).toContain('router: refused: router changed since the plan was made (addresses');
    expect((await labExec('router', 'ip', 'addr', 'del', '192.168.2.77/24', 'dev', 'eth1')).status).toBe(0);

    // Another run applied in between: its serial moved, so the saved plan is stale too.
    const third = path.join(tmp, 'third.plan.json');
    expect((await netstrapAsync(['plan', file, ...ssh(), '--out', third])).status).toBe(0);
    expect((await netstrapAsync(['bootstrap', file, ...ssh()])).status).toBe(0);
    const stale = await netstrapAsync(['bootstrap', file, ...ssh(), '--plan', third, '--json']);
    expect(stale.status).toBe(2);
    expect((JSON.parse(stale.stdout) as JsonResult).hosts.find((h) => h.node === 'router')!.error).toContain(
      '(another netstrap run applied changes since; ',
    );
  });

  test('a cluster file changed since the plan: nothing is done (exit 2)', async () => {
    const saved = path.join(tmp, 'fourth.plan.json');
    expect((await netstrapAsync(['plan', file, ...ssh(), '--out', saved])).status).toBe(0);
    const copy = path.join(tmp, 'i24-plan.yaml');
    fs.writeFileSync(copy, `${fs.readFileSync(file, 'utf8')}# edited\n`);
    const run = await netstrapAsync(['bootstrap', copy, ...ssh(), '--plan', saved]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${saved}: clusterFile.sha256: the cluster file changed since the plan was made`);
    expect(run.stdout).toBe('');
  });
});
