/**
 * Issue 25, node side, on a real lab (test/fixtures/i25-node.yaml): changes that must not cost a node what it still
 * needs, and state netstrap leaves alone but tells about.
 * - node01's own address, which netstrap created, changes .11 → .21: ONE bootstrap converges, the new address is up
 *   before the old goes, the routes through eth0 (one to lan2, the default route) stay, every probe passes;
 * - namespace blue's address .2 → .3: the same, its default route stays;
 * - node02's pre-existing address .12 changed to .13 in the file: both stay (netstrap never removes what it did not
 *   create), and plan warns and diagnose finds `addresses.undeclared`, naming .12 and the command that removes it;
 * - blue existed before netstrap (adopted, lo DOWN): after `reset` it is still there with lo DOWN again.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describeLab, fixture, useLab } from '../support/lab';
import { tempDirs } from '../support/temp';
import { netstrapAsync } from './lab-support';

const file = fixture('i25-node.yaml');
const tempDir = tempDirs();

interface JsonResult {
  ok: boolean;
  hosts: Array<{
    node: string;
    status: string;
    changes: number;
    changeList: Array<{ kind: string; target: string }>;
    commands: string[];
    warnings: string[];
    roundTrips: number;
    error?: string;
  }>;
  checks: Array<{ check: string; status: string }>;
}

describeLab('address changes on a real node: one run converges, nothing it needs is lost', () => {
  const lab = useLab(file);
  const ssh = () => ['--ssh-config', lab.state.sshConfigFile];
  const exec = async (node: string, command: string) => {
    const r = await lab.exec(node, ['sh', '-c', command]);
    if (r.status !== 0) throw new Error(`${command}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
  };
  const dir = tempDir('netstrap-i25-node-');
  /** The fixture with text replacements applied, as a cluster file of its own. */
  const variant = (name: string, edits: Array<[string, string]>) => {
    let text = fs.readFileSync(file, 'utf8');
    for (const [from, to] of edits) {
      if (!text.includes(from)) throw new Error(`fixture has no ${from}`);
      text = text.replaceAll(from, to);
    }
    const out = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(out, text);
    return out;
  };
  const run = async (command: string, cluster: string, ...args: string[]) => {
    const r = await netstrapAsync([command, cluster, ...ssh(), '--json', ...args]);
    return { ...r, json: JSON.parse(r.stdout) as JsonResult };
  };
  const host = (json: JsonResult, node: string) => json.hosts.find((h) => h.node === node)!;
  const loState = async () =>
    (await exec('node01', 'ip -n blue -j link show dev lo')).includes('"UP"') ? 'UP' : 'DOWN';

  const moved = () =>
    variant('moved', [
      ['addresses: [192.168.175.11/24]', 'addresses: [192.168.175.21/24]'],
      ['via: 192.168.175.11', 'via: 192.168.175.21'],
      ['ping: 192.168.175.11', 'ping: 192.168.175.21'],
    ]);

  test('first bootstrap: node01 address made by netstrap, blue adopted (it existed, lo DOWN); every probe passes', async () => {
    // The lab gave node01 its address; netstrap is to create it, so that it owns it.
    await exec('node01', 'ip addr del 192.168.175.11/24 dev eth0 && ip netns add blue');
    expect(await loState()).toBe('DOWN');
    const { status, json } = await run('bootstrap', file);
    expect([status, json.hosts.map((h) => h.status)]).toEqual([0, ['changed', 'changed', 'changed']]);
    expect(json.checks.map((c) => c.status)).toEqual(['passed', 'passed', 'passed', 'passed']);
    expect(await loState()).toBe('UP');
  });

  test("node01's own address .11 → .21: converges in ONE run, the new address before the old goes, routes kept", async () => {
    const cluster = moved();
    const plan = await run('plan', cluster);
    const planned = host(plan.json, 'node01').changeList.map((c) => `${c.kind} ${c.target}`);
    // The new address is added before the old one goes (the removal waits for the additions).
    expect(planned.indexOf('link eth0 address 192.168.175.21/24')).toBeGreaterThanOrEqual(0);
    expect(planned.indexOf('link eth0 address 192.168.175.11/24')).toBeGreaterThan(
      planned.indexOf('link eth0 address 192.168.175.21/24'),
    );
    expect(planned.filter((c) => c.startsWith('route '))).toEqual([]);
    const started = Date.now();
    const { status, json } = await run('bootstrap', cluster);
    const seconds = (Date.now() - started) / 1000;
    expect([status, json.ok, host(json, 'node01').status, host(json, 'node01').error]).toEqual([
      0,
      true,
      'changed',
      undefined,
    ]);
    expect(host(json, 'node01').roundTrips).toBe(2);
    expect(json.checks.map((c) => c.status)).toEqual(['passed', 'passed', 'passed', 'passed']);
    const commands = host(json, 'node01').commands;
    const added = commands.indexOf('ip addr add 192.168.175.21/24 dev eth0');
    const removed = commands.findIndex((c) => c.includes('ip addr del') && c.endsWith('192.168.175.11/24 eth0'));
    expect([added >= 0, removed > added]).toEqual([true, true]);
    expect(await exec('node01', 'ip -4 -o addr show dev eth0 | awk "{print \\$4}"')).toBe('192.168.175.21/24\n');
    const routes = await exec('node01', 'ip route show');
    expect(routes).toContain('default via 192.168.175.1 dev eth0');
    expect(routes).toContain('192.168.174.0/24 via 192.168.175.1 dev eth0');
    // promote_secondaries is put back as it was.
    expect(await exec('node01', 'cat /proc/sys/net/ipv4/conf/eth0/promote_secondaries')).toBe('0\n');
    expect((await run('bootstrap', cluster)).json.hosts.map((h) => [h.status, h.changes])).toEqual([
      ['ok', 0],
      ['ok', 0],
      ['ok', 0],
    ]);
    console.log(`i25 figures: node01 .11 → .21 in one bootstrap: ${seconds.toFixed(1)} s, 4/4 probes passed`);
  });

  test("blue's address .2 → .3: converges in ONE run, its default route kept, every probe passes", async () => {
    const cluster = variant('moved-ns', [
      ['addresses: [192.168.175.11/24]', 'addresses: [192.168.175.21/24]'],
      ['via: 192.168.175.11', 'via: 192.168.175.21'],
      ['ping: 192.168.175.11', 'ping: 192.168.175.21'],
      ['address: 192.168.176.2/24', 'address: 192.168.176.3/24'],
      ['ping: 192.168.176.2', 'ping: 192.168.176.3'],
    ]);
    const { status, json } = await run('bootstrap', cluster);
    expect([status, json.ok, host(json, 'node01').status, host(json, 'node01').error]).toEqual([
      0,
      true,
      'changed',
      undefined,
    ]);
    expect(json.checks.map((c) => c.status)).toEqual(['passed', 'passed', 'passed', 'passed']);
    expect(await exec('node01', 'ip -n blue -4 -o addr show dev eth0 | awk "{print \\$4}"')).toBe('192.168.176.3/24\n');
    expect(await exec('node01', 'ip -n blue route show default')).toContain('default via 192.168.176.1 dev eth0');
    expect((await run('plan', cluster)).json.hosts.map((h) => h.changes)).toEqual([0, 0, 0]);
  });

  test('a pre-existing address changed in the file (.12 → .13): both stay; plan warns and diagnose finds it, naming .12', async () => {
    const cluster = variant('renumbered', [
      ['addresses: [192.168.175.11/24]', 'addresses: [192.168.175.21/24]'],
      ['via: 192.168.175.11', 'via: 192.168.175.21'],
      ['ping: 192.168.175.11', 'ping: 192.168.175.21'],
      ['address: 192.168.176.2/24', 'address: 192.168.176.3/24'],
      ['ping: 192.168.176.2', 'ping: 192.168.176.3'],
      ['addresses: [192.168.174.12/24]', 'addresses: [192.168.174.13/24]'],
    ]);
    expect((await run('bootstrap', cluster)).status).toBe(0);
    expect(await exec('node02', 'ip -4 -o addr show dev eth0 | awk "{print \\$4}" | sort')).toBe(
      '192.168.174.12/24\n192.168.174.13/24\n',
    );
    const warning =
      'link: node02: eth0 has address 192.168.174.12/24, which the cluster file does not declare ' +
      '(nodes[2].interfaces[0].addresses) and netstrap did not add: netstrap leaves it in place; if it is stale, ' +
      'remove it: `ip addr del 192.168.174.12/24 dev eth0`';
    const plan = await netstrapAsync(['plan', cluster, ...ssh()]);
    expect(plan.stdout).toMatch(/^node02: no changes$/m);
    expect(plan.stdout).toContain(`  ! warning: ${warning}`);
    expect(host((await run('plan', cluster)).json, 'node01').warnings).toEqual([]);

    const diagnose = await netstrapAsync(['diagnose', cluster, ...ssh(), '--json']);
    const report = JSON.parse(diagnose.stdout) as {
      nodes: Array<{
        node: string;
        findings: Array<{ check: string; severity: string; message: string; fix: string }>;
      }>;
    };
    const findings = (node: string) =>
      report.nodes.find((n) => n.node === node)!.findings.filter((f) => f.check === 'addresses.undeclared');
    expect(findings('node02')).toEqual([
      expect.objectContaining({
        severity: 'warn',
        message: expect.stringContaining('node02: eth0 has address 192.168.174.12/24'),
        fix: expect.stringContaining('`ip addr del 192.168.174.12/24 dev eth0` on node02'),
      }),
    ]);
    expect(findings('node01').map((f) => f.severity)).toEqual(['ok']);
    await exec('node02', 'ip addr del 192.168.174.12/24 dev eth0');
    const clean = await netstrapAsync(['plan', cluster, ...ssh()]);
    expect(clean.stdout).not.toContain('warning');
  });

  test('reset: the adopted namespace stays, with lo DOWN as it was; what netstrap made is gone', async () => {
    const { status, json } = await run('reset', moved());
    expect([status, json.hosts.map((h) => h.status)]).toEqual([0, ['changed', 'changed', 'changed']]);
    expect(await exec('node01', 'ip netns list')).toMatch(/^blue\b/m);
    expect(await loState()).toBe('DOWN');
    expect(await exec('node01', 'ip -4 -o addr show dev eth0')).toBe('');
    expect(await exec('node01', 'sysctl -n net.ipv4.ip_forward')).toBe('0\n');
  });
});
