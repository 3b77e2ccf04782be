/**
 * The host side of dual-stack over SSH on real lab nodes (issue 21): `bootstrap` of a node with IPv6 addresses,
 * routes, forwarding and ip6tables NAT converges in 2 round trips and its verify checks pass over IPv6 (a namespace's
 * ping masqueraded out to the LAN peer); a re-run changes nothing in 1; the file without its IPv6 part prunes exactly
 * the IPv6 state (the node is then the node that only ever got the IPv4 file); after `lab reboot` the boot script has
 * rebuilt both families and plan has nothing to do; `reset` gives back the pre-bootstrap node (both families'
 * addresses and routes, iptables and ip6tables).
 */
import { describeLab, fixture, testStateDir } from '../support/lab';
import { useLab } from '../support/lab';
import { labExec, readState } from '../../src/lab';
import { netstrapAsync } from './lab-support';

const base = fixture('h21-host-ds-base.yaml');
const v4 = fixture('h21-host-ds-v4.yaml');
const dual = fixture('h21-host-ds-dual.yaml');

/** ip -j fields the kernel picks on its own (indexes, MACs, carrier, timers): not the node's configuration. */
const VOLATILE = new Set(['ifindex', 'link_index', 'link_netnsid', 'address', 'broadcast', 'operstate', 'permaddr']);

function normalized(text: string): unknown {
  const clean = (value: unknown): unknown => {
    if (Array.isArray(value))
      return (
        value
          .map(clean)
          // A link-local address follows the link's MAC (a bridge netstrap creates gets a new one each time).
          .filter((v) => v !== 'NO-CARRIER' && (v as { scope?: string } | null)?.scope !== 'link')
      );
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => !VOLATILE.has(k) && k !== 'tentative')
          .map(([k, v]) => [k, clean(v)]),
      );
    }
    return value;
  };
  const parsed = clean(JSON.parse(text)) as Array<{ ifname?: string }>;
  return parsed.every((e) => e.ifname !== undefined)
    ? [...parsed].sort((a, b) => a.ifname!.localeCompare(b.ifname!))
    : parsed;
}

/** Both families of everything netstrap touches on node01, and its files. */
const SNAPSHOT = `
for ns in "" $(ip netns list | cut -d' ' -f1 | sort); do
  n=\${ns:+-n $ns}
  echo "== netns $ns link"; ip $n -j link show
  echo "== netns $ns addr"; ip $n -j addr show
  echo "== netns $ns route"; ip $n -4 -j route show table main
  echo "== netns $ns route6"; ip $n -6 -j route show table main
done
echo '== iptables'; iptables-save -t nat | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'
echo '== ip6tables'; ip6tables-save -t nat | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'
echo '== sysctl'; sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding
echo '== files'
for f in /etc/hosts $(find /etc/netstrap /etc/sysctl.d /etc/systemd/system -type f -o -type l 2>/dev/null | sort); do
  echo "$f"; cat "$f"
done
`;

async function snapshot(): Promise<string> {
  // Read the lab state afresh: lab reboot gives the node a new sshd pid.
  const out = (await labExec(readState(testStateDir(base))!, 'node01', ['sh', '-c', SNAPSHOT])).stdout;
  return out
    .split('\n')
    .map((line) => (/^\[(\{|\])/.test(line) ? JSON.stringify(normalized(line)) : line))
    .join('\n');
}

describeLab('dual-stack node: converge, no-op, prune the IPv6 part, reboot, reset', () => {
  const lab = useLab(base);
  const ssh = () => ['--ssh-config', lab.state.sshConfigFile];
  const host = (stdout: string, name = 'node01') =>
    (JSON.parse(stdout).hosts as Array<{ node: string }>).find((h) => h.node === name) as Record<string, unknown>;

  test('IPv6 addresses, routes, forwarding and ip6tables NAT: owned, pruned, persisted and reset like IPv4', async () => {
    const pristine = await snapshot();

    // The IPv4 part alone first: what the node is without its IPv6 part.
    const first = await netstrapAsync(['bootstrap', v4, ...ssh(), '--json']);
    expect([first.status, first.stderr]).toEqual([0, '']);
    const ipv4Only = await snapshot();
    expect(ipv4Only).not.toContain('fd00:');

    const plan = await netstrapAsync(['plan', dual, ...ssh()]);
    expect(plan.status).toBe(0);
    for (const line of [
      '+ link eth0 address fd00:61::11/64',
      '+ route fd00:77::/64',
      '+ route ::/0 metric 100',
      '+ bridge br-a address fd00:64::1/64',
      '+ netns red/eth0 address fd00:64::10/64',
      '+ netns red IPv6 default route',
      '+ ip6tables nat POSTROUTING masquerade:fd00:64::/64:out=eth0',
      '+ ip6tables nat PREROUTING dnat:tcp:8080:[fd00:64::10]:80',
    ])
      expect(plan.stdout).toContain(line);
    expect(plan.stdout).toMatch(/[+~] sysctl net\.ipv6\.conf\.all\.forwarding/);

    const up = await netstrapAsync(['bootstrap', dual, ...ssh(), '--json']);
    expect([up.status, up.stderr]).toEqual([0, '']);
    expect(host(up.stdout)).toMatchObject({ status: 'changed', roundTrips: 2 });
    // The checks run over IPv6: red's ping to node02 comes back only masqueraded (node02 has no route to fd00:64::/64).
    const checks = await netstrapAsync(['verify', dual, ...ssh(), '--json']);
    expect(checks.status).toBe(0);
    expect(checks.stdout).toContain('ping fd00:61::12');
    expect(checks.stdout).not.toContain('"failed"');
    const live = await lab.exec('node01', ['sh', '-c', 'ip -6 route show default; ip6tables-save -t nat']);
    expect(live.stdout).toContain('default via fd00:61::12 dev eth0 metric 100');
    expect(live.stdout).toContain('--to-destination [fd00:64::10]:80');

    const noop = await netstrapAsync(['bootstrap', dual, ...ssh(), '--json']);
    expect(host(noop.stdout)).toMatchObject({ status: 'ok', changes: 0, roundTrips: 1 });

    // Live = boot: a reboot rebuilds both families, and plan has nothing to do.
    const converged = await snapshot();
    const reboot = await netstrapAsync(['lab', 'reboot', base, 'node01', '--state-dir', testStateDir(base)]);
    expect([reboot.status, reboot.stderr]).toEqual([0, '']);
    expect(await snapshot()).toEqual(converged);
    const afterReboot = await netstrapAsync(['plan', dual, ...ssh()]);
    expect(afterReboot.stdout).toMatch(/^node01: no changes$/m);

    // The IPv6 part removed from the file: exactly the IPv6 state goes.
    const prune = await netstrapAsync(['plan', v4, ...ssh()]);
    for (const line of [
      '- route ::/0 metric 100 (no longer declared)',
      '- link eth0 address fd00:61::11/64 (no longer declared)',
      '- ip6tables nat POSTROUTING masquerade:fd00:64::/64:out=eth0 (no longer declared)',
      '- netns red IPv6 default route (no longer declared)',
    ])
      expect(prune.stdout).toContain(line);
    expect(prune.stdout).not.toMatch(/^\s*- (route 10\.|iptables )/m);
    const down = await netstrapAsync(['bootstrap', v4, ...ssh(), '--json']);
    expect([down.status, down.stderr]).toEqual([0, '']);
    expect(await snapshot()).toEqual(ipv4Only);

    // reset: the node as before the first bootstrap, exactly.
    expect((await netstrapAsync(['bootstrap', dual, ...ssh(), '--json'])).status).toBe(0);
    const reset = await netstrapAsync(['reset', dual, ...ssh(), '--json']);
    expect([reset.status, reset.stderr]).toEqual([0, '']);
    expect(await snapshot()).toEqual(pristine);
  }, 240000);
});
