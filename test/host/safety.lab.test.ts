/**
 * Safety findings of issue 9, each on a real lab node (and the one validate case without a lab):
 * - a broken managed block in /etc/hosts is refused with its line, and no byte of the file changes, run after run;
 * - a step that fails before doing anything is reverted cleanly: no false REVERT INCOMPLETE, the node back exactly;
 * - a file write that fails (a full file system) leaves no *.netstrap-tmp behind, and the node back exactly;
 * - a /32 and a 0.0.0.0/0 route converge; `default` and `0.0.0.0/0` with the same metric fail validate;
 * - a tagged NAT rule edited by hand (other --to-destination, other -s) is drift and is replaced;
 * - live ≠ boot is drift, worded both ways, and a reboot proves it;
 * - a namespace removal reverted on failure comes back with what netstrap had in it; one that holds a process
 *   netstrap did not start is not removed;
 * - --keep-removed leaves removed objects in place and owned for one run; the next run prunes them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { labExec, readState, type LabState } from '../../src/lab';
import { bootstrapCluster, planCluster } from '../../src/host/provision';
import { loadClusterFile } from '../../src/model/load';
import { describeLab, fixture, netstrap, testStateDir, useLab } from '../support/lab';
import { tempDirs } from '../support/temp';
import { failingAt, netstrapAsync, snapshot } from './lab-support';

const file = fixture('i9a-safety.yaml');
const removed = fixture('i9a-safety-removed.yaml');
const RECORD = '/etc/netstrap/i9a-safety.state.json';

/** ip -j fields the kernel picks on its own (indexes, MAC addresses): a rebuilt link differs only in them. */
const VOLATILE = new Set(['ifindex', 'link_index', 'link_netnsid', 'address', 'broadcast', 'permaddr', 'altnames']);
function normalized(text: string): string {
  const clean = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(clean)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value)
              .filter(([k]) => !VOLATILE.has(k))
              .map(([k, v]) => [k, clean(v)]),
          )
        : value;
  return text
    .split('\n')
    .map((line) => (line.startsWith('[') ? JSON.stringify(clean(JSON.parse(line))) : line))
    .join('\n');
}

interface JsonHost {
  status: string;
  changes: number;
  roundTrips: number;
  error?: string;
  drift?: Array<{ kind: string; target: string; message: string }>;
}

const tempDir = tempDirs();

test('validate refuses `default` and `0.0.0.0/0` with the same metric (exit 2, file, field and value)', () => {
  const dir = tempDir('netstrap-i9a-');
  const bad = path.join(dir, 'both-defaults.yaml');
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(bad, text.replace('- { to: 10.66.0.0/16,', '- { to: default,'));
  // The error carries the line of the route it names (the one rewritten here).
  const line = text.slice(0, text.indexOf('- { to: 10.66.0.0/16,')).split('\n').length;
  const run = netstrap(['validate', bad]);
  expect([run.status, run.stdout]).toEqual([2, '']);
  expect(run.stderr).toContain(
    `${bad}:${line}: nodes[0].routes[2]: duplicate route to "default" with metric 0 (same destination as "0.0.0.0/0"`,
  );
  expect(run.stderr).not.toMatch(/\n\s+at /);
});

describeLab(
  'safety on a real node: broken blocks, clean reverts, canonical routes, edited NAT rules, live = boot, --keep-removed',
  () => {
    const lab = useLab(file);
    const ssh = () => ['--ssh-config', lab.state.sshConfigFile];
    // lab reboot gives the node a new pid: read the lab state afresh each time.
    const state = (): LabState => readState(testStateDir(file))!;
    const exec = async (command: string) => {
      const r = await labExec(state(), 'node01', ['sh', '-c', command]);
      if (r.status !== 0) throw new Error(`${command}: exit ${r.status}: ${r.stderr}`);
      return r.stdout;
    };
    const bootstrap = async (args: string[] = []) => {
      const run = await netstrapAsync(['bootstrap', file, ...ssh(), '--json', ...args]);
      return { ...run, host: JSON.parse(run.stdout).hosts[0] as JsonHost };
    };

    test('a BEGIN without END, or two BEGINs, in /etc/hosts: refused with the line, no byte of the file changes, twice', async () => {
      const original = await exec('cat /etc/hosts');
      const lines = original.replace(/\n$/, '').split('\n').length;
      const broken = `${original}# BEGIN netstrap\n192.168.46.1\tgw\n10.0.0.1\tuser-one\n10.0.0.2\tuser-two\n`;
      await labExec(state(), 'node01', ['sh', '-c', 'printf "%s" "$1" > /etc/hosts', 'sh', broken]);
      const before = await snapshot(state(), 'node01');
      for (let run = 1; run <= 2; run++) {
        const { status, host } = await bootstrap();
        expect([status, host.status]).toEqual([1, 'failed']);
        expect(host.error).toContain(`/etc/hosts: line ${lines + 1}: "# BEGIN netstrap" without "# END netstrap"`);
        expect(await exec('cat /etc/hosts')).toBe(broken);
        expect(await snapshot(state(), 'node01')).toEqual(before);
      }
      const twice = `${original}# BEGIN netstrap\n10.0.0.1\tuser-one\n# BEGIN netstrap\n192.168.46.1\tgw\n# END netstrap\n10.0.0.2\tuser-two\n`;
      await labExec(state(), 'node01', ['sh', '-c', 'printf "%s" "$1" > /etc/hosts', 'sh', twice]);
      const { host } = await bootstrap();
      expect(host.error).toContain(
        `/etc/hosts: line ${lines + 3}: second "# BEGIN netstrap" (the one on line ${lines + 1} has no "# END netstrap")`,
      );
      expect(await exec('cat /etc/hosts')).toBe(twice);
      await labExec(state(), 'node01', ['sh', '-c', 'printf "%s" "$1" > /etc/hosts', 'sh', original]);
    });

    test('a step that fails before doing anything: reverted cleanly (no false REVERT INCOMPLETE), the node back exactly', async () => {
      const before = await snapshot(state(), 'node01');
      const plan = await planCluster(lab.model, { sshConfigFile: lab.state.sshConfigFile });
      const step = plan.hosts[0].changes.findIndex((c) => c.kind === 'route' && c.target === '10.66.0.0/16') + 1;
      expect(step).toBeGreaterThan(1);
      const result = await bootstrapCluster(lab.model, {
        sshConfigFile: lab.state.sshConfigFile,
        connector: failingAt('node01', step, 'before'),
      });
      const host = result.hosts[0];
      expect(host).toMatchObject({
        status: 'failed',
        failedStep: { step, kind: 'route', target: '10.66.0.0/16', reverted: true },
      });
      expect(host.error).toContain('injected fault');
      expect(host.error).toContain(`reverted steps ${step}..1`);
      expect(host.error).not.toContain('REVERT INCOMPLETE');
      expect(await snapshot(state(), 'node01')).toEqual(before);
    });

    test('a file write that fails (file system full): no *.netstrap-tmp left behind, the node back exactly', async () => {
      const before = await snapshot(state(), 'node01');
      await exec(
        'mount -t tmpfs -o size=4k,nr_inodes=64 netstrap-full /etc/sysctl.d && { dd if=/dev/zero of=/etc/sysctl.d/fill bs=4096 count=4 2>/dev/null; true; }',
      );
      try {
        const { status, host } = await bootstrap();
        expect([status, host.status]).toEqual([1, 'failed']);
        expect(host.error).toMatch(
          /\(sysctl \/etc\/sysctl\.d\/90-netstrap\.conf\) failed: .*No space left on device.*; reverted steps/s,
        );
        expect((await exec('ls -A /etc/sysctl.d')).split('\n').filter(Boolean)).toEqual(['fill']);
      } finally {
        await exec('umount /etc/sysctl.d');
      }
      expect(await exec('find /etc -name "*.netstrap-tmp"')).toBe('');
      expect(await snapshot(state(), 'node01')).toEqual(before);
    });

    test('a /32 route and a 0.0.0.0/0 route converge: the second run has 0 changes in 1 round trip', async () => {
      const first = await bootstrap();
      expect([first.status, first.host.status, first.host.error]).toEqual([0, 'changed', undefined]);
      const routes = await exec('ip route show');
      expect(routes).toContain('default via 192.168.46.1 dev eth0');
      expect(routes).toContain('10.9.9.9 via 192.168.46.1 dev eth0');
      const second = await bootstrap();
      expect(second.host).toMatchObject({ status: 'ok', changes: 0, roundTrips: 1 });
    });

    test('tagged NAT rules edited by hand (another --to-destination, another -s) are drift, and are replaced', async () => {
      const converged = await exec('iptables-save -t nat | grep -- "-A "');
      await exec(
        'iptables-save -t nat | sed "s/--to-destination 192.168.46.11:80/--to-destination 192.168.46.21:80/; ' +
          's/-s 192.168.47.0\\/24/-s 192.168.48.0\\/24/" | iptables-restore -T nat',
      );
      expect(await exec('iptables-save -t nat | grep -- "-A "')).not.toEqual(converged);
      const plan = await netstrapAsync(['plan', file, ...ssh()]);
      expect(plan.stdout).toContain('~ iptables nat PREROUTING dnat:tcp:8080:192.168.46.11:80: edited (');
      expect(plan.stdout).toContain(
        '~ iptables nat POSTROUTING masquerade:192.168.47.0/24:out=eth0: edited (-s 192.168.48.0/24',
      );
      // Issue 25: each edited rule is listed once, and a rule that is live (edited) is not called "not live".
      const listed = (rule: string) => plan.stdout.split('\n').filter((line) => line.includes(`iptables ${rule}:`));
      expect(listed('nat PREROUTING dnat:tcp:8080:192.168.46.11:80')).toHaveLength(1);
      expect(listed('nat POSTROUTING masquerade:192.168.47.0/24:out=eth0')).toHaveLength(1);
      expect(plan.stdout).not.toContain('not live');
      expect(plan.stdout).toContain(
        '  ! drift: iptables nat POSTROUTING masquerade:192.168.47.0/24:out=eth0 is live as edited (-s 192.168.48.0/24',
      );
      const fixed = await bootstrap();
      expect([fixed.status, fixed.host.status]).toEqual([0, 'changed']);
      expect((await exec('iptables-save -t nat | grep -- "-A "')).split('\n').sort()).toEqual(
        converged.split('\n').sort(),
      );
      expect((await bootstrap()).host).toMatchObject({ status: 'ok', changes: 0 });
    });

    test('live ≠ boot is drift, both ways: plan and verify say so, and a reboot proves it', async () => {
      await exec(`sed -i '/10\\.66\\.0\\.0\\/16/d' /etc/netstrap/network.sh`);
      const liveOnly =
        'route 10.66.0.0/16 is live but would not come back after reboot (not in /etc/netstrap/network.sh)';
      const plan = await netstrapAsync(['plan', file, ...ssh()]);
      expect(plan.stdout).toContain(`  ! drift: ${liveOnly}`);
      const verify = await netstrapAsync(['verify', file, ...ssh(), '--json']);
      expect(verify.status).toBe(1);
      expect(JSON.parse(verify.stdout).hosts[0].drift).toEqual([
        { kind: 'route', target: '10.66.0.0/16', message: liveOnly },
      ]);
      expect((await netstrapAsync(['verify', file, ...ssh()])).stdout).toContain(`node01: drift: ${liveOnly}`);

      const reboot = await netstrapAsync(['lab', 'reboot', file, 'node01', '--state-dir', testStateDir(file)]);
      expect([reboot.status, reboot.stderr]).toEqual([0, '']);
      const routes = await exec('ip route show');
      expect(routes).not.toContain('10.66.0.0/16');
      expect(routes).toContain('10.9.9.9 via 192.168.46.1');
      expect((await bootstrap()).host.status).toBe('changed');

      await exec('ip route del 10.66.0.0/16 && sysctl -q -w net.ipv4.ip_forward=0');
      const reverse = await netstrapAsync(['plan', file, ...ssh()]);
      expect(reverse.stdout).toContain(
        '  ! drift: route 10.66.0.0/16 is in the boot script (/etc/netstrap/network.sh) but not live',
      );
      expect(reverse.stdout).toContain(
        '  ! drift: sysctl net.ipv4.ip_forward = 1 is in /etc/sysctl.d/90-netstrap.conf but not live (live: 0)',
      );
      expect((await bootstrap()).host.status).toBe('changed');
      const clean = await netstrapAsync(['plan', file, ...ssh()]);
      expect(clean.stdout).toMatch(/^node01: no changes$/m);
      expect(clean.stdout).not.toContain('drift');
    });

    test('namespace and bridge removals that are reverted bring back what netstrap had: veth on its bridge, address, default route', async () => {
      const before = normalized(await snapshot(state(), 'node01'));
      expect(await exec('ip -n blue route show default')).toContain('via 192.168.47.1');
      const model = loadClusterFile(removed);
      const plan = await planCluster(model, { sshConfigFile: lab.state.sshConfigFile });
      const changes = plan.hosts[0].changes;
      expect(changes.map((c) => `${c.kind} ${c.target}`)).toEqual(
        expect.arrayContaining(['netns blue', 'bridge br-s']),
      );
      // Fail at the last step (the record's update), after the namespace really was deleted.
      const result = await bootstrapCluster(model, {
        sshConfigFile: lab.state.sshConfigFile,
        connector: failingAt('node01', changes.length),
      });
      expect(result.hosts[0]).toMatchObject({ status: 'failed', failedStep: { step: changes.length, reverted: true } });
      expect(result.hosts[0].error).not.toContain('REVERT INCOMPLETE');
      expect(normalized(await snapshot(state(), 'node01'))).toEqual(before);
      expect(
        (
          await labExec(state(), 'node01', [
            'ip',
            'netns',
            'exec',
            'blue',
            'ping',
            '-c',
            '1',
            '-W',
            '1',
            '192.168.47.1',
          ])
        ).status,
      ).toBe(0);
    });

    test('a namespace no longer declared that holds a process netstrap did not start is not removed: the plan says why', async () => {
      const pid = (await exec('ip netns exec blue sleep 120 >/dev/null 2>&1 & echo $!')).trim();
      try {
        const plan = await netstrapAsync(['plan', removed, ...ssh()]);
        expect(plan.status).toBe(1);
        expect(plan.stdout).toMatch(
          /node01: FAILED: node01: namespace blue is no longer declared but holds what netstrap did not create \(process \d+\): /,
        );
        const run = await netstrapAsync(['bootstrap', removed, ...ssh(), '--json']);
        expect(JSON.parse(run.stdout).hosts[0]).toMatchObject({ status: 'failed', commands: [] });
        expect(await exec('ip netns list')).toContain('blue');
      } finally {
        await exec(`kill ${pid}`);
      }
    });

    test('--keep-removed leaves removed objects in place and owned for one run; the next run prunes them', async () => {
      const kept = await netstrapAsync(['bootstrap', removed, ...ssh(), '--json', '--keep-removed']);
      expect([kept.status, kept.stderr]).toEqual([0, '']);
      expect(await exec('ip route show 10.66.0.0/16')).toContain('via 192.168.46.1');
      expect(await exec('ip -n blue addr show dev eth0')).toContain('192.168.47.10/24');
      expect(await exec('cat /etc/hosts')).toContain('# BEGIN netstrap\n192.168.46.1\tgw\n# END netstrap\n');
      const ids = (record: string) =>
        (JSON.parse(record).objects as Array<{ kind: string; id: string }>).map((o) => `${o.kind} ${o.id}`);
      expect(ids(await exec(`cat ${RECORD}`))).toEqual(
        expect.arrayContaining(['route 10.66.0.0/16 metric 0', 'netns blue', 'hosts-file block /etc/hosts']),
      );

      const plan = await netstrapAsync(['plan', removed, ...ssh()]);
      expect(plan.stdout).toContain('- route 10.66.0.0/16 (no longer declared)');
      expect(plan.stdout).toContain('- hosts-file /etc/hosts (no longer declared)');
      const pruned = await netstrapAsync(['bootstrap', removed, ...ssh(), '--json']);
      expect([pruned.status, JSON.parse(pruned.stdout).hosts[0].status]).toEqual([0, 'changed']);
      expect(await exec('ip route show 10.66.0.0/16')).toBe('');
      expect(await exec('ip netns list')).not.toContain('blue');
      expect(await exec('cat /etc/hosts')).not.toContain('netstrap');
      expect(ids(await exec(`cat ${RECORD}`))).not.toEqual(expect.arrayContaining(['route 10.66.0.0/16 metric 0']));
      expect(ids(await exec(`cat ${RECORD}`)).filter((id) => id.startsWith('hosts-file'))).toEqual([]);
      expect((await netstrapAsync(['plan', removed, ...ssh()])).stdout).toMatch(/^node01: no changes$/m);
    });
  },
);
