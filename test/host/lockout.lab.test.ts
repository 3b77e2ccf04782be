/**
 * The lock-out guard and commit-confirm against real nodes (`netstrap lab`), through the CLI: the three lock-outs of
 * issue 9 (a route for the management network via another gateway, a /32 route to the controller, a DNAT of
 * tcp/22) are refused with no command sent and exit 2; with --allow-disruption each is applied, cuts the path, and
 * is reverted by the node's watchdog or over the old connection, and the node answers SSH again in time; a harmless
 * change under --allow-disruption is confirmed and kept. Hard timeouts: a node whose traffic is dropped
 * mid-command does not keep the CLI past the timeout + 2 s. A lost connection names its step.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { bootstrapCluster, planCluster } from '../../src/host/provision';
import { sshConnector, type Connector } from '../../src/host/ssh';
import { loadClusterFile } from '../../src/model/load';
import { describeLab, fixture, useLab } from '../support/lab';
import { tempDirs } from '../support/temp';
import { netstrapAsync, snapshot } from './lab-support';

const base = fixture('i9b-lockout.yaml');
const SUBJECT_LINE = '    interfaces: [{ name: eth0, lan: lan1, addresses: [192.168.51.11/24] }]\n';
const CONFIRM_TIMEOUT_S = 4;

interface JsonHost {
  node: string;
  status: string;
  commands: string[];
  roundTrips: number;
  error?: string;
  refusals?: Array<{ entry: string; reason: string }>;
}

const LOCKOUTS = [
  {
    name: 'a route for the management network via another gateway',
    entry: 'nodes[0].routes[0]',
    yaml: '    routes: [{ to: 10.250.50.0/24, via: 192.168.51.12 }]\n',
    reason: /would replace the route this SSH session/,
  },
  {
    name: "a /32 route to the controller's address",
    entry: 'nodes[0].routes[0]',
    yaml: '    routes: [{ to: 10.250.50.254/32, via: 192.168.51.12 }]\n',
    reason: /would take over the route this SSH session/,
  },
  {
    name: 'a DNAT of tcp/22',
    entry: 'nodes[0].nat.portForwards[0]',
    yaml: '    sysctls: { net.ipv4.ip_forward: 1 }\n    nat: { portForwards: [{ protocol: tcp, port: 22, to: "192.168.51.12:22" }] }\n',
    reason: /would DNAT tcp port 22/,
  },
];

/** Whether an SSH server answers at host:22 (its banner arrives) within 1 s. */
function sshAnswers(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: 22 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('data', (data) => done(data.toString().startsWith('SSH-')));
    socket.once('error', () => done(false));
  });
}

/**
 * Watches an SSH server until stopped: when it first stopped answering, and when it answered again after that
 * (every attempt is bounded to 1 s, 200 ms apart).
 */
function watchSsh(host: string): { stop(): Promise<{ down?: number; upAgain?: number }> } {
  let running = true;
  let down: number | undefined;
  let upAgain: number | undefined;
  const loop = (async () => {
    while (running) {
      const began = Date.now();
      const ok = await sshAnswers(host);
      if (!ok && down === undefined) down = began;
      if (ok && down !== undefined && upAgain === undefined) upAgain = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    // Stopping waits (up to 5 s) for a server that went down to be seen up again.
    stop: async () => {
      for (let i = 0; i < 50 && down !== undefined && upAgain === undefined; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      running = false;
      await loop;
      return { down, upAgain };
    },
  };
}

describeLab('lock-out guard and commit-confirm on a lab', () => {
  const lab = useLab(base);
  const tempDir = tempDirs();
  const ssh = () => ['--ssh-config', lab.state.sshConfigFile];
  /** The fixture with `yaml` added to subject's entry, written to a temporary file. */
  const variant = (name: string, yaml: string) => {
    const file = path.join(tempDir('i9b-lockout-'), `${name}.yaml`);
    const text = fs.readFileSync(base, 'utf8');
    if (!text.includes(SUBJECT_LINE)) throw new Error('fixture changed: subject line not found');
    fs.writeFileSync(file, text.replace(SUBJECT_LINE, SUBJECT_LINE + yaml));
    return file;
  };
  const hosts = (stdout: string) =>
    Object.fromEntries((JSON.parse(stdout) as { hosts: JsonHost[] }).hosts.map((h) => [h.node, h]));
  /** The node's state; an iptables table without rules reads as no table (creating one is no change of behaviour). */
  const state = async (withMtime = false) =>
    (await snapshot(lab.state, 'subject', withMtime)).replace(/^\*\w+\n(?::\S+ \S+ \n)*COMMIT\n/gm, '');
  const answers = async () => (await lab.ssh('subject', 'true', { allowFailure: true, timeoutMs: 5000 })).status === 0;

  test.each(LOCKOUTS)('refused, nothing sent, exit 2: $name', async ({ name, entry, yaml, reason }) => {
    const before = await state(true);
    const run = await netstrapAsync(['bootstrap', variant(name.replace(/\W+/g, '-'), yaml), ...ssh(), '--json']);
    expect(run.status).toBe(2);
    const result = hosts(run.stdout);
    expect(result.subject).toMatchObject({ status: 'refused', commands: [], roundTrips: 1 });
    expect(result.subject.refusals).toEqual([
      expect.objectContaining({ entry, reason: expect.stringMatching(reason) }),
    ]);
    expect(result.subject.error).toContain('--allow-disruption');
    // The other node goes on as usual.
    expect(['changed', 'ok']).toContain(result.peer.status);
    expect(await state(true)).toEqual(before);
    expect(await answers()).toBe(true);
  });

  test('plan shows the refusal with its entry and reason, and exits 2; with --allow-disruption it exits 0', async () => {
    const file = variant('plan', LOCKOUTS[0].yaml);
    const plan = await netstrapAsync(['plan', file, ...ssh()]);
    expect(plan.status).toBe(2);
    expect(plan.stdout).toMatch(/^subject: \+\d+ ~\d+ -\d+: REFUSED \(bootstrap sends nothing to this node\)$/m);
    expect(plan.stdout).toMatch(
      /^ {2}! refused: nodes\[0\]\.routes\[0\] \(route 10\.250\.50\.0\/24\): would replace the route this SSH session/m,
    );
    const allowed = await netstrapAsync(['plan', file, ...ssh(), '--allow-disruption']);
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toContain('  ! disruptive, applied under commit-confirm: nodes[0].routes[0]');
  });

  test.each(LOCKOUTS)(
    '--allow-disruption: applied, not confirmed, reverted; SSH answers again in time: $name',
    async ({ name, yaml }) => {
      const before = await state();
      const watch = watchSsh('10.250.50.11');
      const running = netstrapAsync([
        'bootstrap',
        variant(name.replace(/\W+/g, '-'), yaml),
        ...ssh(),
        '--json',
        '--allow-disruption',
        '--confirm-timeout',
        String(CONFIRM_TIMEOUT_S),
      ]);
      // The watchdog's pid as it records it, read inside the node (not over SSH, which the change cuts).
      let watchdogPid: string | undefined;
      for (let i = 0; i < 100 && !watchdogPid; i++) {
        const r = await lab.exec('subject', ['sh', '-c', 'cat /run/netstrap/confirm-*/pid 2>/dev/null; true']);
        if (/^\d+$/.test(r.stdout.trim())) watchdogPid = r.stdout.trim();
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const run = await running;
      expect(await answers()).toBe(true);
      // The change really locked SSH out, and SSH answered again within confirm-timeout + 5 s of that.
      const { down, upAgain } = await watch.stop();
      expect(down).toBeDefined();
      expect(upAgain).toBeDefined();
      expect(upAgain! - down!).toBeLessThan((CONFIRM_TIMEOUT_S + 5) * 1000);
      expect(run.status).toBe(1);
      const result = hosts(run.stdout);
      expect(result.subject.status).toBe('reverted');
      expect(result.subject.error).toMatch(/^not confirmed: .*reverted by /);
      expect(result.subject.commands.length).toBeGreaterThan(0);
      expect(await state()).toEqual(before);
      // Nothing of the watchdog is left on the node: no file, no process (by the pid it recorded), no revert error.
      expect(result.subject.error).not.toContain('REVERT INCOMPLETE');
      expect(
        (
          await lab.exec('subject', ['sh', '-c', 'ls -A /run/netstrap 2>/dev/null; pgrep -f [w]atchdog.sh; true'])
        ).stdout.trim(),
      ).toBe('');
      expect(watchdogPid).toBeDefined();
      expect(
        (
          await lab.exec('subject', ['sh', '-c', `kill -0 ${watchdogPid} 2>/dev/null && echo alive; true`])
        ).stdout.trim(),
      ).toBe('');
    },
  );

  test('--allow-disruption with a harmless change: confirmed over a new connection and kept (3 round trips)', async () => {
    const file = variant('harmless', '    routes: [{ to: 10.99.0.0/16, via: 192.168.51.12 }]\n');
    const run = await netstrapAsync([
      'bootstrap',
      file,
      ...ssh(),
      '--json',
      '--allow-disruption',
      '--confirm-timeout',
      '10',
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const result = hosts(run.stdout);
    expect(result.subject).toMatchObject({ status: 'changed', roundTrips: 3 });
    expect((await lab.exec('subject', ['ip', 'route', 'show', '10.99.0.0/16'])).stdout).toContain(
      'via 192.168.51.12 dev eth0',
    );
    // The watchdog is gone: the change outlives its deadline.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      (
        await lab.exec('subject', ['sh', '-c', 'ls /run/netstrap 2>/dev/null; pgrep -f [w]atchdog.sh; true'])
      ).stdout.trim(),
    ).toBe('');
    // Nor is an empty /run/netstrap left (issue 25).
    expect((await lab.exec('subject', ['sh', '-c', 'ls -d /run/netstrap 2>&1; true'])).stdout).toContain(
      'No such file',
    );
    const again = await netstrapAsync(['bootstrap', file, ...ssh(), '--json']);
    expect(again.status).toBe(0);
    expect(hosts(again.stdout).subject).toMatchObject({ status: 'ok', roundTrips: 1, commands: [] });
  });

  test('--watchdog systemd where systemd does not run the node: nothing changed, the node fails with the reason', async () => {
    const before = await state(true);
    const file = variant('systemd', '    routes: [{ to: 10.96.0.0/16, via: 192.168.51.12 }]\n');
    const run = await netstrapAsync([
      'bootstrap',
      file,
      ...ssh(),
      '--json',
      '--only',
      'subject',
      '--allow-disruption',
      '--watchdog',
      'systemd',
    ]);
    expect(run.status).toBe(1);
    expect(hosts(run.stdout).subject).toMatchObject({
      status: 'failed',
      commands: [],
      error: expect.stringMatching(
        /^could not arm the commit-confirm watchdog: systemd is not running this machine .*nothing was changed$/,
      ),
    });
    expect(await state(true)).toEqual(before);
  });

  test("--command-timeout 5 with the node's traffic dropped mid-command: exit 1 naming it, within 7 s", async () => {
    // A fact command of subject that takes 3 s and records when it started; meanwhile its SSH traffic is dropped.
    await lab.exec('subject', [
      'sh',
      '-c',
      'mkdir -p /usr/local/sbin && printf "%s\\n" "#!/bin/sh" ' +
        '"date +%s.%N > /tmp/i9b-slow-started" "sleep 3" "exec /usr/sbin/iptables-save \\"\\$@\\"" > /usr/local/sbin/iptables-save ' +
        '&& chmod 755 /usr/local/sbin/iptables-save',
    ]);
    try {
      const running = netstrapAsync([
        'bootstrap',
        base,
        ...ssh(),
        '--json',
        '--only',
        'subject',
        '--command-timeout',
        '5',
      ]);
      let began: number | undefined;
      for (let i = 0; i < 100 && began === undefined; i++) {
        const r = await lab.exec('subject', ['cat', '/tmp/i9b-slow-started'], { allowFailure: true });
        if (r.status === 0 && r.stdout.trim() !== '') began = Number(r.stdout.trim()) * 1000;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(began).toBeDefined();
      await lab.exec('subject', [
        'sh',
        '-c',
        'iptables -I INPUT -p tcp --dport 22 -j DROP && iptables -I OUTPUT -p tcp --sport 22 -j DROP',
      ]);
      const run = await running;
      const ended = Date.now();
      expect(run.status).toBe(1);
      expect(hosts(run.stdout).subject).toMatchObject({
        status: 'failed',
        error: expect.stringContaining('timed out after 5 s'),
      });
      expect(ended - began!).toBeLessThan(7000);
    } finally {
      await lab.exec('subject', [
        'sh',
        '-c',
        'iptables -D INPUT -p tcp --dport 22 -j DROP; iptables -D OUTPUT -p tcp --sport 22 -j DROP; ' +
          'rm -f /usr/local/sbin/iptables-save /tmp/i9b-slow-started; true',
      ]);
    }
  });

  test('an sshd session dying mid-apply is reported as a lost connection naming the step', async () => {
    const model = loadClusterFile(
      variant(
        'lost',
        '    routes: [{ to: 10.98.0.0/16, via: 192.168.51.12 }, { to: 10.97.0.0/16, via: 192.168.51.12 }]\n',
      ),
    );
    const planned = await planCluster(model, { sshConfigFile: lab.state.sshConfigFile, only: ['subject'] });
    const step = planned.hosts[0].changes.findIndex((c) => c.kind === 'route' && c.target === '10.97.0.0/16') + 1;
    expect(step).toBeGreaterThan(1);
    // That step's commands kill the session's sshd process (the parent of the script's shell), once the
    // step's marker line has had time to reach the controller (output still in flight dies with sshd).
    const killing: Connector = async (node, options) => {
      const transport = await sshConnector(node, options);
      return {
        close: () => transport.close(),
        run: (script, timeoutMs) =>
          transport.run(
            script.replace(
              new RegExp(`(echo '@@netstrap-[0-9a-f]+@@ step ${step}'\\n)`),
              '$1sleep 2; kill -9 $PPID; sleep 5\n',
            ),
            timeoutMs,
          ),
      };
    };
    const result = await bootstrapCluster(model, {
      sshConfigFile: lab.state.sshConfigFile,
      only: ['subject'],
      connector: killing,
    });
    expect(result.hosts[0]).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(
        new RegExp(`^connection lost during step ${step}/\\d+ \\(route 10\\.97\\.0\\.0/16\\): `),
      ),
    });
    expect(await answers()).toBe(true);
  });
});

/**
 * Issue 21: the same guard for a node reached over IPv6 SSH (test/fixtures/i21-lockout-ipv6.yaml: the management
 * network is fd00:250:228::/64). A /128 route to the controller through a LAN address nobody answers for is refused
 * (exit 2); under --allow-disruption it cuts SSH, the watchdog reverts it and SSH over IPv6 answers again; a harmless
 * change is confirmed over a new IPv6 connection; with its IPv6 SSH traffic dropped mid-command, --command-timeout 5
 * ends the run within 7 s. The IPv6 trap: subject's session runs over a default route a router advertisement
 * gave (put there by hand, `proto ra`: the lab sends no advertisements), so turning IPv6 forwarding on is refused,
 * exit 2, even under --allow-disruption, while net.ipv6.conf.mgmt0.accept_ra: 2 makes it safe; on peer, whose
 * session does not take such a route, plan warns about the one it would cut.
 */
const IPV6 = fixture('i21-lockout-ipv6.yaml');

describeLab('lock-out guard over IPv6 SSH on a lab', () => {
  const lab = useLab(IPV6);
  const tempDir = tempDirs();
  const ssh = () => ['--ssh-config', lab.state.sshConfigFile];
  /** The fixture with `yaml` added after the entry line of `node`. */
  const variant = (name: string, node: string, yaml: string) => {
    const file = path.join(tempDir('i21-lockout-'), `${name}.yaml`);
    const text = fs.readFileSync(IPV6, 'utf8');
    const line = `    ssh: { host: 'fd00:250:228::${node === 'subject' ? '11' : '12'}' }\n`;
    if (!text.includes(line)) throw new Error(`fixture changed: ${line.trim()} not found`);
    fs.writeFileSync(file, text.replace(line, line + yaml));
    return file;
  };
  const hosts = (stdout: string) =>
    Object.fromEntries((JSON.parse(stdout) as { hosts: JsonHost[] }).hosts.map((h) => [h.node, h]));
  const inNode = async (node: string, script: string) => (await lab.exec(node, ['sh', '-c', script])).stdout.trim();
  const answers = async () => (await lab.ssh('subject', 'true', { allowFailure: true, timeoutMs: 5000 })).status === 0;
  const FORWARDING = '    sysctls: { net.ipv6.conf.all.forwarding: 1 }\n';

  test('SSH over an RA-learnt default route: IPv6 forwarding refused, exit 2, also under --allow-disruption; accept_ra 2 makes it safe', async () => {
    // subject's session leaves by a default route through the controller's side of the lab bridge (on-link: its
    // connected /64 is gone), marked as learnt from a router advertisement.
    const bridge = 'fd00:250:228:0:ffff:ffff:ffff:fffe';
    await inNode(
      'subject',
      `ip -6 route add default via ${bridge} dev mgmt0 proto ra onlink && ip -6 route del fd00:250:228::/64 dev mgmt0`,
    );
    try {
      expect(await inNode('subject', 'ip -6 route get fd00:250:228:0:ffff:ffff:ffff:fffe')).toMatch(
        new RegExp(`via ${bridge} dev mgmt0 proto ra`),
      );
      expect(await answers()).toBe(true);
      const file = variant('forwarding', 'subject', FORWARDING);
      for (const extra of [[], ['--allow-disruption']]) {
        const attempt = await netstrapAsync(['bootstrap', file, ...ssh(), '--json', ...extra]);
        expect(attempt.status).toBe(2);
        const subject = hosts(attempt.stdout).subject;
        expect(subject).toMatchObject({ status: 'refused', commands: [], roundTrips: 1 });
        expect(subject.refusals).toEqual([
          expect.objectContaining({
            entry: 'nodes[0].sysctls["net.ipv6.conf.all.forwarding"]',
            reason: expect.stringMatching(
              new RegExp(
                `^net\\.ipv6\\.conf\\.all\\.forwarding = 1 would make the kernel drop default via ${bridge} dev mgmt0 proto ra .* add net\\.ipv6\\.conf\\.mgmt0\\.accept_ra: 2 .*; it is the route this SSH session \\(fd00:250:228:0:ffff:ffff:ffff:fffe → \\[fd00:250:228::11\\]:22\\) takes to the controller$`,
              ),
            ),
          }),
        ]);
        expect(subject.error).toContain('--allow-disruption does not apply it');
        expect(await inNode('subject', 'sysctl -n net.ipv6.conf.all.forwarding')).toBe('0');
      }
      const plan = await netstrapAsync(['plan', file, ...ssh(), '--allow-disruption']);
      expect(plan.status).toBe(2);
      expect(plan.stdout).toMatch(
        /^ {2}! refused: nodes\[0\]\.sysctls\["net\.ipv6\.conf\.all\.forwarding"\] \(sysctl net\.ipv6\.conf\.all\.forwarding\): .* \(not even under --allow-disruption: reverting forwarding does not bring the route back/m,
      );
      // With accept_ra 2 on mgmt0 (applied before forwarding, whatever the file's order), the route stays: applied.
      const safe = variant(
        'accept-ra',
        'subject',
        '    sysctls: { net.ipv6.conf.all.forwarding: 1, net.ipv6.conf.mgmt0.accept_ra: 2 }\n',
      );
      const applied = await netstrapAsync(['bootstrap', safe, ...ssh(), '--json']);
      expect([applied.status, applied.stderr]).toEqual([0, '']);
      expect(hosts(applied.stdout).subject.status).toBe('changed');
      expect(await inNode('subject', 'sysctl -n net.ipv6.conf.mgmt0.accept_ra net.ipv6.conf.all.forwarding')).toBe(
        '2\n1',
      );
      expect(await answers()).toBe(true);
      // The file's order is kept for boot too: accept_ra first.
      expect(await inNode('subject', 'grep -n conf /etc/sysctl.d/90-netstrap.conf')).toBe(
        '2:net.ipv6.conf.mgmt0.accept_ra = 2\n3:net.ipv6.conf.all.forwarding = 1',
      );
      // Back to the fixture: the keys go back to what they were.
      const back = await netstrapAsync(['bootstrap', IPV6, ...ssh(), '--json']);
      expect(back.status).toBe(0);
      expect(await inNode('subject', 'sysctl -n net.ipv6.conf.mgmt0.accept_ra net.ipv6.conf.all.forwarding')).toBe(
        '1\n0',
      );
    } finally {
      await inNode(
        'subject',
        `ip -6 route replace fd00:250:228::/64 dev mgmt0 proto kernel metric 256; ip -6 route del default via ${bridge} dev mgmt0; true`,
      );
    }
    expect(await answers()).toBe(true);
  });

  test('a route taking over the route to the controller: refused (exit 2); under --allow-disruption reverted, SSH answers again', async () => {
    // subject gets an IPv6 LAN address and a /128 route to the controller through a LAN address nobody answers for.
    const line = '    interfaces: [{ name: eth0, lan: lan1, addresses: [192.168.228.11/24] }]\n';
    const text = fs.readFileSync(IPV6, 'utf8');
    if (!text.includes(line)) throw new Error('fixture changed: subject interfaces line not found');
    const file = path.join(tempDir('i21-lockout-'), 'route6.yaml');
    fs.writeFileSync(
      file,
      text.replace(
        line,
        "    interfaces: [{ name: eth0, lan: lan1, addresses: [192.168.228.11/24, 'fd00:228:51::11/64'] }]\n" +
          "    routes: [{ to: 'fd00:250:228:0:ffff:ffff:ffff:fffe/128', via: 'fd00:228:51::99' }]\n",
      ),
    );
    const before = await snapshot(lab.state, 'subject');
    const refused = await netstrapAsync(['bootstrap', file, ...ssh(), '--json']);
    expect(refused.status).toBe(2);
    expect(hosts(refused.stdout).subject).toMatchObject({
      status: 'refused',
      commands: [],
      refusals: [
        expect.objectContaining({
          entry: 'nodes[0].routes[0]',
          reason: expect.stringMatching(
            /^would take over the route this SSH session \(fd00:250:228:0:ffff:ffff:ffff:fffe → \[fd00:250:228::11\]:22\) takes to the controller fd00:250:228:0:ffff:ffff:ffff:fffe \(now fd00:250:228::\/64 dev mgmt0 metric 256\) with fd00:250:228:0:ffff:ffff:ffff:fffe via fd00:228:51::99/,
          ),
        }),
      ],
    });
    expect(await snapshot(lab.state, 'subject')).toBe(before);
    // Applied anyway: the session is cut, the node's watchdog reverts, SSH over IPv6 answers again.
    const watch = watchSsh('fd00:250:228::11');
    const applied = await netstrapAsync([
      'bootstrap',
      file,
      ...ssh(),
      '--json',
      '--only',
      'subject',
      '--allow-disruption',
      '--confirm-timeout',
      String(CONFIRM_TIMEOUT_S),
    ]);
    const { down, upAgain } = await watch.stop();
    expect(applied.status).toBe(1);
    expect(hosts(applied.stdout).subject).toMatchObject({
      status: 'reverted',
      error: expect.stringMatching(/^not confirmed: .*reverted by /),
    });
    expect(down).toBeDefined();
    expect(upAgain).toBeDefined();
    expect(upAgain! - down!).toBeLessThan((CONFIRM_TIMEOUT_S + 5) * 1000);
    expect(await answers()).toBe(true);
    expect(await snapshot(lab.state, 'subject')).toBe(before);
  });

  test('--allow-disruption with a harmless change: confirmed over a new IPv6 connection and kept (3 round trips)', async () => {
    const file = variant('harmless', 'subject', '    routes: [{ to: 10.99.0.0/16, via: 192.168.228.12 }]\n');
    const applied = await netstrapAsync([
      'bootstrap',
      file,
      ...ssh(),
      '--json',
      '--only',
      'subject',
      '--allow-disruption',
      '--confirm-timeout',
      '10',
    ]);
    expect([applied.status, applied.stderr]).toEqual([0, '']);
    expect(hosts(applied.stdout).subject).toMatchObject({ status: 'changed', roundTrips: 3 });
    expect(await inNode('subject', 'ip route show 10.99.0.0/16; ls -A /run/netstrap 2>/dev/null; true')).toBe(
      '10.99.0.0/16 via 192.168.228.12 dev eth0',
    );
    const back = await netstrapAsync(['bootstrap', IPV6, ...ssh(), '--json', '--only', 'subject']);
    expect(back.status).toBe(0);
  });

  test("--command-timeout 5 with the node's IPv6 SSH traffic dropped mid-command: exit 1 naming it, within 7 s", async () => {
    // A fact command of subject that takes 3 s and records when it started; meanwhile its SSH traffic is dropped.
    await inNode(
      'subject',
      'mkdir -p /usr/local/sbin && printf "%s\\n" "#!/bin/sh" ' +
        '"date +%s.%N > /tmp/i21-slow-started" "sleep 3" "exec /usr/sbin/iptables-save \\"\\$@\\"" > /usr/local/sbin/iptables-save ' +
        '&& chmod 755 /usr/local/sbin/iptables-save',
    );
    try {
      const running = netstrapAsync([
        'bootstrap',
        IPV6,
        ...ssh(),
        '--json',
        '--only',
        'subject',
        '--command-timeout',
        '5',
      ]);
      let began: number | undefined;
      for (let i = 0; i < 100 && began === undefined; i++) {
        const r = await lab.exec('subject', ['cat', '/tmp/i21-slow-started'], { allowFailure: true });
        if (r.status === 0 && r.stdout.trim() !== '') began = Number(r.stdout.trim()) * 1000;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(began).toBeDefined();
      await inNode(
        'subject',
        'ip6tables -I INPUT -p tcp --dport 22 -j DROP && ip6tables -I OUTPUT -p tcp --sport 22 -j DROP',
      );
      const run = await running;
      const ended = Date.now();
      expect(run.status).toBe(1);
      expect(hosts(run.stdout).subject).toMatchObject({
        status: 'failed',
        error: expect.stringContaining('timed out after 5 s'),
      });
      expect(ended - began!).toBeLessThan(7000);
    } finally {
      await inNode(
        'subject',
        'ip6tables -D INPUT -p tcp --dport 22 -j DROP; ip6tables -D OUTPUT -p tcp --sport 22 -j DROP; ' +
          'rm -f /usr/local/sbin/iptables-save /tmp/i21-slow-started; true',
      );
    }
    expect(await answers()).toBe(true);
  });

  test('a default route from an RA that the session does not take: plan warns, bootstrap goes on', async () => {
    await inNode('peer', 'ip -6 route add default via fe80::1 dev eth0 proto ra');
    try {
      const file = variant('peer-forwarding', 'peer', FORWARDING);
      const plan = await netstrapAsync(['plan', file, ...ssh()]);
      expect(plan.status).toBe(0);
      expect(plan.stdout).toMatch(
        /^ {2}! warning: ipv6-ra: peer: net\.ipv6\.conf\.all\.forwarding = 1 would make the kernel drop default via fe80::1 dev eth0 proto ra metric 1024, a default route learnt from a router advertisement: .*\(it is 1 on eth0\); add net\.ipv6\.conf\.eth0\.accept_ra: 2 to the node's sysctls/m,
      );
    } finally {
      await inNode('peer', 'ip -6 route del default via fe80::1 dev eth0; true');
    }
  });
});
