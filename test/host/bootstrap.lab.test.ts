/**
 * The host provisioner against real nodes (`netstrap lab`: namespaces running OpenSSH), over SSH with strict
 * host-key checking: plan never mutates, a failing step leaves the node as it was, bootstrap converges and the
 * connectivity checks pass, the second run changes nothing in one round trip, an unreachable node does not stop
 * the others, changed and unknown host keys are refused.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bootstrapCluster, planCluster } from '../../src/host/provision';
import { sshConnector } from '../../src/host/ssh';
import { describeLab, fixture, useLab } from '../support/lab';
import { failingAt, netstrapAsync, snapshotAll } from './lab-support';

const file = fixture('host-seed.yaml');

interface JsonHost {
  node: string;
  status: string;
  changes: number;
  commands: string[];
  roundTrips: number;
  verifyRoundTrips: number;
  error?: string;
}
interface JsonResult {
  ok: boolean;
  hosts: JsonHost[];
  checks: Array<{ from: string; check: string; status: string }>;
}

describeLab('netstrap plan | bootstrap | verify on a lab', () => {
  const lab = useLab(file);
  const sshArgs = () => ['--ssh-config', lab.state.sshConfigFile];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-hostlab-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('plan on a fresh lab lists every change and mutates nothing', async () => {
    const before = await snapshotAll(lab.state, true);
    const run = await netstrapAsync(['plan', file, ...sshArgs()]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // Issue 24: `+` marks a create, `~` a change of what exists; a summary line per host (was `N change(s)`).
    for (const kind of [
      '+ bridge v-net-0',
      '+ netns red',
      '+ route 192.168.2.0/24',
      '~ sysctl net.ipv4.ip_forward',
      '+ iptables nat POSTROUTING',
      '~ hosts-file /etc/hosts',
    ]) {
      expect(run.stdout).toContain(kind);
    }
    expect(run.stdout).toMatch(/^router: \+\d+ ~1 -0$/m);
    expect(run.stdout).toContain('$ ip route replace 192.168.2.0/24 via 192.168.1.1');
    expect(run.stdout).toContain('+192.168.2.11\tnode02');
    expect(await snapshotAll(lab.state, true)).toEqual(before);
  });

  test('a step failing mid-apply puts that node back in its pre-run state; the others converge', async () => {
    const before = await snapshotAll(lab.state);
    // node01's plan starts with bridge, namespaces, veths, routes…: fail at step 12, after 11 real changes.
    const result = await bootstrapCluster(lab.model, {
      sshConfigFile: lab.state.sshConfigFile,
      connector: failingAt('node01', 12),
    });
    const node01 = result.hosts.find((h) => h.node === 'node01')!;
    expect(node01).toMatchObject({ status: 'failed', roundTrips: 2, failedStep: { step: 12, reverted: true } });
    expect(node01.error).toContain('injected fault');
    expect(node01.commands.length).toBeGreaterThan(11);
    expect(result.hosts.filter((h) => h.node !== 'node01').map((h) => h.status)).toEqual(['changed', 'changed']);
    expect(result.ok).toBe(false);
    const after = await snapshotAll(lab.state);
    expect(after.node01).toEqual(before.node01);
    expect(after.router).not.toEqual(before.router);
  });

  test('with the fault removed, bootstrap converges, and the connectivity checks pass', async () => {
    const run = await netstrapAsync(['bootstrap', file, ...sshArgs(), '--json']);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as JsonResult;
    expect(result.hosts.map((h) => [h.node, h.status, h.roundTrips])).toEqual([
      ['node01', 'changed', 2],
      ['router', 'ok', 1],
      ['node02', 'ok', 1],
    ]);
    expect(result.checks.map((c) => `${c.from} ${c.check} ${c.status}`)).toEqual([
      'node01 ping 192.168.2.11 passed',
      'node01/red ping 192.168.15.2 passed',
      'node01/red ping 192.168.2.11 passed',
      'node02 ping 192.168.15.1 passed',
    ]);
    expect(result.hosts.find((h) => h.node === 'node01')!.verifyRoundTrips).toBe(1);
    // The state is really there, read without netstrap.
    expect(
      (await lab.exec('node01', ['ip', 'netns', 'exec', 'red', 'ping', '-c', '1', '-W', '1', '192.168.2.11'])).status,
    ).toBe(0);
  });

  test('the second bootstrap: 0 changes, no command, 1 round trip per host, node state identical', async () => {
    const before = await snapshotAll(lab.state, true);
    const run = await netstrapAsync(['bootstrap', file, ...sshArgs(), '--json']);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as JsonResult;
    for (const host of result.hosts)
      expect(host).toMatchObject({ status: 'ok', changes: 0, commands: [], roundTrips: 1 });
    expect(await snapshotAll(lab.state, true)).toEqual(before);

    const plan = await netstrapAsync(['plan', file, ...sshArgs()]);
    expect(plan.status).toBe(0);
    expect(plan.stdout).toMatch(/^node01: no changes\nrouter: no changes\nnode02: no changes\nplan: \+0 ~0 -0 on 0 /);
    const verify = await netstrapAsync(['verify', file, ...sshArgs()]);
    expect(verify.status).toBe(0);
    expect(verify.stdout).toContain('checks 4/4 passed');
    expect(await snapshotAll(lab.state, true)).toEqual(before);
  });

  test("a node reached through a jump host (ssh.jumpHost, forwarded over the jump's connection)", async () => {
    const { cluster } = lab.model;
    const through = (jumpHost: string) => ({
      ...lab.model,
      cluster: {
        ...cluster,
        nodes: cluster.nodes.map((n) => (n.name === 'node02' ? { ...n, ssh: { ...n.ssh, jumpHost } } : n)),
      },
    });
    const ok = await planCluster(through('root@10.250.21.1'), {
      sshConfigFile: lab.state.sshConfigFile,
      only: ['node02'],
    });
    expect(ok.hosts[0]).toMatchObject({ node: 'node02', status: 'ok', roundTrips: 1 });
    // A jump host that refuses proves the connection really goes through it.
    const refused = await planCluster(through('root@10.250.21.1:2'), {
      sshConfigFile: lab.state.sshConfigFile,
      only: ['node02'],
      connectTimeoutMs: 3000,
    });
    expect(refused.hosts[0]).toMatchObject({
      status: 'unreachable',
      error: expect.stringMatching(/^ssh root@10\.250\.21\.1:2: .*ECONNREFUSED/),
    });
  });

  test('authentication through ssh-agent (no key file named anywhere)', async () => {
    const { spawnSync } = require('child_process') as typeof import('child_process');
    const socket = path.join(tmp, 'agent.sock');
    const agent = spawnSync('ssh-agent', ['-a', socket], { encoding: 'utf8' });
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent.stdout)![1]);
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      const emptyConfig = path.join(tmp, 'empty_ssh_config');
      fs.writeFileSync(emptyConfig, '');
      const options = { sshConfigFile: emptyConfig, knownHostsFile: lab.state.knownHostsFile, only: ['router'] };
      process.env.SSH_AUTH_SOCK = socket;
      const before = await planCluster(lab.model, options);
      expect(before.hosts[0]).toMatchObject({
        status: 'unreachable',
        error: expect.stringContaining('authentication'),
      });
      expect(
        spawnSync('ssh-add', [lab.state.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: socket } }).status,
      ).toBe(0);
      const after = await planCluster(lab.model, options);
      expect(after.hosts[0]).toMatchObject({ node: 'router', roundTrips: 1, error: undefined });
      expect(['ok', 'pending']).toContain(after.hosts[0].status);
    } finally {
      process.env.SSH_AUTH_SOCK = saved;
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      process.kill(pid);
    }
  });

  test('one node unreachable: the others converge, exit 1, the summary names the node', async () => {
    // Drift on node01 that bootstrap must repair while node02 cannot be reached.
    await lab.exec('node01', ['sh', '-c', 'sysctl -q -w net.ipv4.ip_forward=0 && ip route del 192.168.2.0/24']);
    const broken = path.join(tmp, 'unreachable.yaml');
    // An address of the lab's management LAN that no node has.
    fs.writeFileSync(broken, fs.readFileSync(file, 'utf8').replace('host: 10.250.21.12', 'host: 10.250.21.99'));
    const run = await netstrapAsync([
      'bootstrap',
      broken,
      ...sshArgs(),
      '--identity',
      lab.state.identityFile,
      '--connect-timeout',
      '2',
    ]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^node01\s+changed\s+2\s+2\s+1/m);
    expect(run.stdout).toMatch(/^router\s+ok\s+0\s+1/m);
    expect(run.stdout).toMatch(/^node02\s+unreachable\s+0\s+0/m);
    expect(run.stdout).toMatch(/^node02: unreachable: ssh root@10\.250\.21\.99:22: /m);
    expect(run.stdout).toContain(
      'check node02 → ping 192.168.15.1 (expect failure): failed: source node node02 is unreachable',
    );
    expect((await lab.exec('node01', ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('1');
  });

  test('a changed host key is refused, even with --accept-new-host-keys; an unknown one only with it', async () => {
    const known = fs.readFileSync(lab.state.knownHostsFile, 'utf8');
    const keyFile = path.join(tmp, 'other_key');
    await lab.exec('node01', ['true']);
    require('child_process').spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    const otherKey = fs.readFileSync(`${keyFile}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    // node01's line now carries another key; node02's line is gone.
    const lines = known.split('\n').filter((l) => l !== '');
    const changed = lines
      .map((l) => (l.startsWith('10.250.21.11,') ? `10.250.21.11 ${otherKey}` : l))
      .filter((l) => !l.startsWith('10.250.21.12,'));
    const knownFile = path.join(tmp, 'known_hosts');
    fs.writeFileSync(knownFile, changed.join('\n') + '\n');
    const options = { sshConfigFile: lab.state.sshConfigFile, knownHostsFile: knownFile, connector: sshConnector };

    const strict = await bootstrapCluster(lab.model, options);
    const status = Object.fromEntries(strict.hosts.map((h) => [h.node, h]));
    expect(status.node01.status).toBe('unreachable');
    expect(status.node01.error).toContain('HOST KEY CHANGED for 10.250.21.11');
    expect(status.node02.status).toBe('unreachable');
    expect(status.node02.error).toContain('host key of 10.250.21.12 is not in');
    expect(status.router.status).toBe('ok');

    const accepting = await bootstrapCluster(lab.model, { ...options, acceptNewHostKeys: true });
    const after = Object.fromEntries(accepting.hosts.map((h) => [h.node, h.status]));
    expect(after).toEqual({ node01: 'unreachable', router: 'ok', node02: 'ok' });
    const recorded = fs.readFileSync(knownFile, 'utf8');
    expect(recorded).toContain(
      `10.250.21.12 ${lines
        .find((l) => l.startsWith('10.250.21.12,'))!
        .split(' ')
        .slice(1, 3)
        .join(' ')}`,
    );
    expect(recorded).toContain(`10.250.21.11 ${otherKey}`);
    expect(recorded.split('\n').filter((l) => l.startsWith('10.250.21.11')).length).toBe(1);
  });
});
