/**
 * Issue 24, "Explain", against real kernels (test/fixtures/i24-explain.yaml: w1 → r1 → w2, and r2 on both LANs
 * not forwarding): a route added by hand on w1 hijacks part of the declared 192.168.20.0/24. verify's failed check
 * then shows the model's path beside the live one (read with `ip route get` in verify's own round trip) and the hop
 * where they part; passing checks print as before; diagnose names the route with the `ip route del` that removes it.
 */
import { liveTrace } from '../../src/host/live-trace';
import { bootstrapCluster, verifyCluster } from '../../src/host/provision';
import { traceCluster } from '../../src/model/trace';
import { describeLab, fixture, useLab } from '../support/lab';
import { countingConnector, netstrapAsync } from './lab-support';

const FILE = fixture('i24-explain.yaml');

describeLab('explaining what the live network does (issue 24)', () => {
  const lab = useLab(FILE);
  const exec = async (node: string, script: string) => {
    const r = await lab.exec(node, ['sh', '-c', script], { timeoutMs: 15000, allowFailure: true });
    if (r.status !== 0) throw new Error(`${node}: ${script} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  };
  const netstrap = (...args: string[]) => netstrapAsync([...args, '--ssh-config', lab.state.sshConfigFile]);

  beforeAll(async () => {
    const result = await bootstrapCluster(lab.model, { sshConfigFile: lab.state.sshConfigFile });
    expect(result.hosts.map((h) => [h.node, h.error ?? ''])).toEqual(result.hosts.map((h) => [h.node, '']));
  }, 60000);

  test('verify on the converged lab: the passing checks print as before', async () => {
    const r = await netstrap('verify', FILE);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('check w1 → ping 192.168.20.11 (expect success): passed\n');
    expect(r.stdout).not.toMatch(/model:|live:/);
  }, 60000);

  test('a hijacking route on w1: the failed check names the live route and the hop where it leaves the model', async () => {
    await exec('w1', 'ip route add 192.168.20.0/25 via 192.168.10.99');
    try {
      const r = await netstrap('verify', FILE);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(
        'check w1 → ping 192.168.20.11 (expect success): failed: failed after 5 attempt(s), expected success; ' +
          'model: w1 → r1 (192.168.10.1) → w2; ' +
          'live: w1 → 192.168.10.99 (route 192.168.20.0/25 via 192.168.10.99 dev eth0, not declared); they part at w1\n',
      );
      // w2's echo request reaches w1, whose reply is what goes astray: every hop of the request agrees (r1 was read
      // in verify's round trip to it), and the reply leaves the model at w1.
      expect(r.stdout).toContain(
        'check w2 → ping w1 (expect success): failed: failed after 5 attempt(s), expected success; ' +
          'model: w2 → r1 (192.168.20.1) → w1; live: as the model; ' +
          'the reply: model w1 → r1 (192.168.10.1) → w2, ' +
          'live w1 → 192.168.10.99 (route 192.168.20.0/25 via 192.168.10.99 dev eth0, not declared); ' +
          'they part at w1, on the reply\n',
      );

      const d = await netstrap('diagnose', FILE, '--json');
      expect(d.status).toBe(1);
      const w1 = (JSON.parse(d.stdout) as { nodes: Array<{ node: string; findings: any[] }> }).nodes.find(
        (n) => n.node === 'w1',
      )!;
      expect(w1.findings.find((f) => f.check === 'routes.hijack')).toMatchObject({
        severity: 'fail',
        fix: 'remove it: `ip route del 192.168.20.0/25` on w1 (or declare it in nodes[0].routes)',
      });
    } finally {
      await exec('w1', 'ip route del 192.168.20.0/25');
    }
  }, 90000);

  test('the declared route via another gateway: verify parts at w1, diagnose fails routes.gateway with the fix', async () => {
    await exec('w1', 'ip route replace 192.168.20.0/24 via 192.168.10.2');
    try {
      const r = await netstrap('verify', FILE);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(
        'model: w1 → r1 (192.168.10.1) → w2; live: w1 → r2 (192.168.10.2) (route 192.168.20.0/24 via 192.168.10.2 dev eth0, not declared); they part at w1\n',
      );
      const d = await netstrap('diagnose', FILE, '--json');
      expect(d.status).toBe(1);
      const w1 = (JSON.parse(d.stdout) as { nodes: Array<{ node: string; findings: any[] }> }).nodes.find(
        (n) => n.node === 'w1',
      )!;
      expect(w1.findings.find((f) => f.check === 'routes.gateway')).toMatchObject({
        severity: 'fail',
        fix: 'run `netstrap bootstrap` (it replaces it), or on w1: `ip route replace 192.168.20.0/24 via 192.168.10.1`',
      });
    } finally {
      await exec('w1', 'ip route replace 192.168.20.0/24 via 192.168.10.1');
    }
  }, 90000);

  test('a hijacking route on the router r1: verify reads r1 in its own round trip and names it where the path parts', async () => {
    await exec('r1', 'ip route add 192.168.20.0/25 via 192.168.20.99 dev eth1');
    try {
      const r = await netstrap('verify', FILE);
      expect(r.status).toBe(1);
      // w1's first hop agrees; r1, the second, sends it to 192.168.20.99 where the model goes on-link to w2.
      expect(r.stdout).toContain(
        'check w1 → ping 192.168.20.11 (expect success): failed: failed after 5 attempt(s), expected success; ' +
          'model: w1 → r1 (192.168.10.1) → w2; ' +
          'live: w1 → r1 (192.168.10.1) → 192.168.20.99 (route 192.168.20.0/25 via 192.168.20.99 dev eth1, not declared); ' +
          'they part at r1\n',
      );
      // w2 → w1: the request passes; r1 sends the reply astray.
      expect(r.stdout).toContain(
        'model: w2 → r1 (192.168.20.1) → w1; live: as the model; the reply: model w1 → r1 (192.168.10.1) → w2, ' +
          'live w1 → r1 (192.168.10.1) → 192.168.20.99 (route 192.168.20.0/25 via 192.168.20.99 dev eth1, not declared); ' +
          'they part at r1, on the reply\n',
      );
      expect(r.stdout).not.toContain('not read');

      // No round trip more: one per node, every node (r1 and r2 are read though they are no check's source).
      const runs = new Map<string, number>();
      const result = await verifyCluster(lab.model, {
        sshConfigFile: lab.state.sshConfigFile,
        connector: countingConnector(runs),
      });
      expect(Object.fromEntries(runs)).toEqual({ w1: 1, r1: 1, r2: 1, w2: 1 });
      expect(result.hosts.map((h) => [h.node, h.roundTrips, h.verifyRoundTrips])).toEqual([
        ['w1', 1, 0],
        ['r1', 1, 0],
        ['r2', 1, 0],
        ['w2', 1, 0],
      ]);
      expect(result.checks[0].detail).toContain('they part at r1');

      // r1 unreachable (its connection refused here): the hop is named as not read, with why.
      const counting = countingConnector(new Map());
      const cut = await verifyCluster(lab.model, {
        sshConfigFile: lab.state.sshConfigFile,
        connector: (node, options) =>
          node.name === 'r1' ? Promise.reject(new Error('connect ECONNREFUSED')) : counting(node, options),
      });
      expect(cut.hosts.find((h) => h.node === 'r1')?.status).toBe('unreachable');
      expect(cut.checks[0].detail).toContain(
        'live: w1 → r1 (192.168.10.1) → [r1 not read] w2; the reply: model w2 → r1 (192.168.20.1) → w1, ' +
          'live w2 → r1 (192.168.20.1) → [r1 not read] w1; not read: r1 (unreachable); they agree at every hop read',
      );

      // --only w1: verify connects to w1 alone (no round trip to a node left out), and says which hops it did not read.
      const only = await netstrap('verify', FILE, '--only', 'w1');
      expect(only.status).toBe(1);
      expect(only.stdout).toContain(
        'check w1 → ping 192.168.20.11 (expect success): failed: failed after 5 attempt(s), expected success; ' +
          'model: w1 → r1 (192.168.10.1) → w2; live: w1 → r1 (192.168.10.1) → [r1 not read] w2; ' +
          'the reply: model w2 → r1 (192.168.20.1) → w1, live not read; ' +
          'not read: r1, w2 (not selected by --only); they agree at every hop read\n',
      );

      // bootstrap (nothing to change: one round trip per node, then the checks) explains it the same way.
      const b = await netstrap('bootstrap', FILE);
      expect(b.status).toBe(1);
      expect(b.stdout).toContain(
        'live: w1 → r1 (192.168.10.1) → 192.168.20.99 (route 192.168.20.0/25 via 192.168.20.99 dev eth1, not declared); ' +
          'they part at r1\n',
      );
    } finally {
      await exec('r1', 'ip route del 192.168.20.0/25');
    }
    // ip_forward off on the router: the path parts at r1, which does not forward what comes in on eth0.
    await exec('r1', 'sysctl -q -w net.ipv4.ip_forward=0');
    try {
      const r = await netstrap('verify', FILE);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(
        'model: w1 → r1 (192.168.10.1) → w2; live: w1 → r1 (192.168.10.1): no route (No route to host): ' +
          'it does not forward what comes in on eth0 (net.ipv4.ip_forward 0, or rp_filter); they part at r1\n',
      );
    } finally {
      await exec('r1', 'sysctl -q -w net.ipv4.ip_forward=1');
    }
    // bootstrap changes r1 (ip_forward back to 1) but keeps the undeclared hijack: its explanation is r1 as the apply
    // left it (read again at the end of the apply script), the hijack, not the refused forward read before it.
    await exec('r1', 'ip route add 192.168.20.0/25 via 192.168.20.99 dev eth1 && sysctl -q -w net.ipv4.ip_forward=0');
    try {
      const b = await netstrap('bootstrap', FILE);
      expect(b.status).toBe(1);
      expect(b.stdout).toMatch(/^r1 +changed /m);
      expect(b.stdout).toContain(
        'live: w1 → r1 (192.168.10.1) → 192.168.20.99 (route 192.168.20.0/25 via 192.168.20.99 dev eth1, not declared); ' +
          'they part at r1\n',
      );
    } finally {
      await exec('r1', 'ip route del 192.168.20.0/25; sysctl -q -w net.ipv4.ip_forward=1');
    }
  }, 150000);

  test('trace --live: the kernels agree on the converged lab; a hijack on w1 parts there; ip_forward 0 on r1 parts at r1', async () => {
    const agree = await netstrap('trace', FILE, 'w1', 'w2', '--live');
    expect(agree.status).toBe(0);
    expect(agree.stdout).toContain(
      [
        'live (ip route get on each node of the model path):',
        '  1. w1: r1 (192.168.10.1) (route 192.168.20.0/24 via 192.168.10.1 dev eth0, declared) (as the model)',
        '  2. r1: on-link eth1 (route 192.168.20.0/24 dev eth1, connected) (as the model)',
        'the kernels agree with the model at every hop',
      ].join('\n'),
    );
    await exec('w1', 'ip route add 192.168.20.0/25 via 192.168.10.99');
    try {
      const hijacked = await netstrap('trace', FILE, 'w1', 'w2', '--live');
      expect(hijacked.status).toBe(1);
      expect(hijacked.stdout).toContain(
        '  1. w1: 192.168.10.99 (route 192.168.20.0/25 via 192.168.10.99 dev eth0, not declared); the model: via 192.168.10.1 dev eth0\n',
      );
      expect(hijacked.stdout).toMatch(/\nthey part at w1\n$/);
      const json = JSON.parse((await netstrap('trace', FILE, 'w1', 'w2', '--live', '--json')).stdout);
      expect(json.live.partsAt).toBe('w1');
      expect(json.live.hops.map((h: { at: string; asked: string }) => [h.at, h.asked])).toEqual([
        ['w1', 'ip route get 192.168.20.11'],
        ['r1', 'ip route get 192.168.20.11 from 192.168.10.11 iif eth0'],
      ]);
    } finally {
      await exec('w1', 'ip route del 192.168.20.0/25');
    }
    await exec('r1', 'sysctl -q -w net.ipv4.ip_forward=0');
    try {
      const stopped = await netstrap('trace', FILE, 'w1', 'w2', '--live');
      expect(stopped.status).toBe(1);
      expect(stopped.stdout).toContain(
        '  2. r1: no route (No route to host): it does not forward what comes in on eth0 (net.ipv4.ip_forward 0, or rp_filter); the model: on-link dev eth1\nthey part at r1\n',
      );
    } finally {
      await exec('r1', 'sysctl -q -w net.ipv4.ip_forward=1');
    }
  }, 90000);

  test('trace --live reads each node of the path in one round trip, and only those', async () => {
    const runs = new Map<string, number>();
    const counting = countingConnector(runs);
    const live = await liveTrace(lab.model.cluster, traceCluster(lab.model, 'w1', 'w2'), {
      sshConfigFile: lab.state.sshConfigFile,
      connector: counting,
    });
    expect(live.partsAt).toBeUndefined();
    expect(Object.fromEntries(runs)).toEqual({ w1: 1, r1: 1 });
  }, 60000);
});
