/**
 * Ownership, pruning, live = boot and reset on a real lab node: bootstrap v1, then v2 (some objects removed, some
 * changed) gives exactly the node that only ever got v2; after `lab reboot` it is still the same and plan shows
 * nothing to do; `reset` gives back the node as it was before v1, and a second reset changes nothing.
 */
import { describeLab, fixture, testStateDir, useLab } from '../support/lab';
import { netstrapAsync } from './lab-support';
import type { LabHandle } from '../support/lab';
import { labExec, readState } from '../../src/lab';

const base = fixture('i9a-prune-base.yaml');
const v1 = fixture('i9a-prune-v1.yaml');
const v2 = fixture('i9a-prune-v2.yaml');

/** ip -j fields the kernel picks on its own (indexes, MAC addresses, carrier): not the node's configuration. */
const VOLATILE = new Set([
  'ifindex',
  'link_index',
  'link_netnsid',
  'address',
  'broadcast',
  'operstate',
  'permaddr',
  'altnames',
]);

function normalized(text: string): unknown {
  const clean = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(clean).filter((v) => v !== 'NO-CARRIER');
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => !VOLATILE.has(k))
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

const SNAPSHOT = `
for ns in "" $(ip netns list | cut -d' ' -f1 | sort); do
  n=\${ns:+-n $ns}
  echo "== netns $ns link"; ip $n -j link show
  echo "== netns $ns addr"; ip $n -4 -j addr show
  echo "== netns $ns route"; ip $n -4 -j route show table all
done
echo '== iptables'; iptables-save -t nat | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'
echo '== sysctl'; sysctl net.ipv4.ip_forward net.ipv4.ip_default_ttl
echo '== files'
for f in /etc/hosts /etc/resolv.conf $(find /etc/netstrap /etc/sysctl.d /etc/systemd/system -type f -o -type l 2>/dev/null | sort); do
  echo "$f"; cat "$f"
done
`;

/** The node's state: ip -j (normalized), iptables nat, sysctls, and the files netstrap may write. */
async function snapshot(lab: LabHandle): Promise<string> {
  // Read the lab state afresh: lab reboot gives the node a new sshd pid.
  const out = (await labExec(readState(testStateDir(base))!, 'node01', ['sh', '-c', SNAPSHOT])).stdout;
  return out
    .split('\n')
    .map((line) => (/^\[(\{|\])/.test(line) ? JSON.stringify(normalized(line)) : line))
    .join('\n');
}

describeLab('ownership record: v1 → v2 prunes, live = boot, reset', () => {
  const lab = useLab(base);
  const ssh = () => ['--ssh-config', lab.state.sshConfigFile];

  test('v1 then v2 equals v2 alone; reboot keeps it; reset restores the pre-v1 node exactly, twice', async () => {
    const pristine = await snapshot(lab);

    const first = await netstrapAsync(['bootstrap', v1, ...ssh(), '--json']);
    expect([first.status, first.stderr]).toEqual([0, '']);
    const record = (await lab.exec('node01', ['cat', '/etc/netstrap/i9a-prune.state.json'])).stdout;
    expect(JSON.parse(record)).toMatchObject({ version: 1, cluster: 'i9a-prune' });

    const plan = await netstrapAsync(['plan', v2, ...ssh()]);
    expect(plan.status).toBe(0);
    for (const removal of [
      '- route 10.77.0.0/16 (no longer declared)',
      '- route 10.78.0.0/16 (no longer declared)',
      '- bridge br-b (no longer declared)',
      '- netns blue (no longer declared)',
      '- link eth0 address 192.168.41.50/24 (no longer declared)',
      '- sysctl net.ipv4.ip_default_ttl (no longer declared): 77 → 64',
      '- bridge br-a address 192.168.44.1/24 (no longer declared)',
      '- iptables nat POSTROUTING masquerade:192.168.45.0/24:out=eth0 (no longer declared)',
    ]) {
      expect(plan.stdout).toContain(removal);
    }
    const second = await netstrapAsync(['bootstrap', v2, ...ssh(), '--json']);
    expect([second.status, second.stderr, JSON.parse(second.stdout).hosts[0].error]).toEqual([0, '', undefined]);
    expect(JSON.parse(second.stdout).hosts[0]).toMatchObject({ status: 'changed', roundTrips: 2 });
    const upgraded = await snapshot(lab);
    expect(upgraded).not.toContain('10.77.0.0/16');
    expect(upgraded).not.toContain('192.168.41.50');
    expect(upgraded).not.toContain('br-b');
    expect(upgraded).toContain('net.ipv4.ip_default_ttl = 64');

    // Live = boot: a reboot rebuilds exactly this, and plan has nothing to do.
    const reboot = await netstrapAsync(['lab', 'reboot', base, 'node01', '--state-dir', testStateDir(base)]);
    expect([reboot.status, reboot.stderr]).toEqual([0, '']);
    expect(await snapshot(lab)).toEqual(upgraded);
    const afterReboot = await netstrapAsync(['plan', v2, ...ssh()]);
    expect(afterReboot.stdout).toMatch(/^node01: no changes$/m);

    // reset: the node as before v1, exactly; a second reset has nothing to do.
    const reset = await netstrapAsync(['reset', v2, ...ssh(), '--json']);
    expect([reset.status, reset.stderr]).toEqual([0, '']);
    expect(JSON.parse(reset.stdout).hosts[0]).toMatchObject({ status: 'changed' });
    expect(await snapshot(lab)).toEqual(pristine);
    const again = await netstrapAsync(['reset', v2, ...ssh(), '--json']);
    expect(JSON.parse(again.stdout).hosts[0]).toMatchObject({ status: 'ok', changes: 0, roundTrips: 1 });
    expect(await snapshot(lab)).toEqual(pristine);

    // A node that only ever got v2 is the node that got v1 then v2.
    const only = await netstrapAsync(['bootstrap', v2, ...ssh(), '--json']);
    expect(only.status).toBe(0);
    expect(await snapshot(lab)).toEqual(upgraded);
    const noop = await netstrapAsync(['bootstrap', v2, ...ssh(), '--json']);
    expect(JSON.parse(noop.stdout).hosts[0]).toMatchObject({ status: 'ok', changes: 0, roundTrips: 1 });
  }, 150000);
});
