import { canonicalRule, desiredNatRules, nat, splitRule } from '../../../src/host/resources/nat';
import { FactSet } from '../../../src/host/fact';
import { recordedFacts, recordedOutputs, rendered } from './facts-fixtures';
import { model } from './model';

const { cluster, node } = model();

describe('iptables NAT kind on recorded iptables-save output', () => {
  it('adds MASQUERADE and the DNAT port-forward (PREROUTING for the LAN, OUTPUT for the node itself), each with a netstrap comment', () => {
    expect(nat.plan(node, recordedFacts('bare'), cluster).map((c) => rendered(c).apply[0])).toEqual([
      'iptables -t nat -A POSTROUTING -s 10.10.0.0/24 -o eth0 -m comment --comment netstrap:masquerade:10.10.0.0/24:out=eth0 -j MASQUERADE',
      'iptables -t nat -A PREROUTING -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 80 -m comment --comment netstrap:dnat:tcp:80:10.10.0.3:80 -j DNAT --to-destination 10.10.0.3:80',
      'iptables -t nat -A OUTPUT -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 80 -m comment --comment netstrap:dnat:tcp:80:10.10.0.3:80:local -j DNAT --to-destination 10.10.0.3:80',
    ]);
  });

  it("is a no-op when converged (the user's own MASQUERADE rule is not netstrap's business)", () => {
    expect(recordedOutputs('converged')['iptables-nat']).toContain('-A POSTROUTING -s 172.31.0.0/16 -j MASQUERADE');
    expect(nat.plan(node, recordedFacts('converged'), cluster)).toEqual([]);
  });

  it('after drift: deletes the stale netstrap rule it owns (revert re-inserts it at its position) and re-adds the missing one', () => {
    const owned = [{ kind: 'iptables', id: 'POSTROUTING masquerade:10.99.0.0/24', prior: null }];
    expect(nat.plan(node, recordedFacts('drifted'), cluster, owned).map(rendered)).toEqual([
      {
        apply: [
          'iptables -t nat -D POSTROUTING -s 10.99.0.0/24 -m comment --comment netstrap:masquerade:10.99.0.0/24 -j MASQUERADE',
        ],
        revert: [
          'iptables -t nat -I POSTROUTING 2 -s 10.99.0.0/24 -m comment --comment netstrap:masquerade:10.99.0.0/24 -j MASQUERADE',
        ],
      },
      {
        apply: [
          'iptables -t nat -A POSTROUTING -s 10.10.0.0/24 -o eth0 -m comment --comment netstrap:masquerade:10.10.0.0/24:out=eth0 -j MASQUERADE',
        ],
        revert: [
          'iptables -t nat -D POSTROUTING -s 10.10.0.0/24 -o eth0 -m comment --comment netstrap:masquerade:10.10.0.0/24:out=eth0 -j MASQUERADE',
        ],
      },
    ]);
  });

  it('a port-forward bound to an in-interface gets no OUTPUT rule (local traffic has no in-interface)', () => {
    const rules = desiredNatRules({
      ...node,
      nat: { masquerade: [], portForwards: [{ protocol: 'udp', port: 53, to: '10.10.0.2:5353', inInterface: 'eth0' }] },
    });
    expect(rules.map((r) => r.chain)).toEqual(['PREROUTING']);
    expect(rules[0].args).toEqual(
      expect.arrayContaining(['-p', 'udp', '-i', 'eth0', '--dport', '53', '--to-destination', '10.10.0.2:5353']),
    );
  });

  it('splits iptables-save lines with quoted comments', () => {
    expect(splitRule('-A POSTROUTING -m comment --comment "netstrap:a b" -j MASQUERADE')).toEqual([
      '-A',
      'POSTROUTING',
      '-m',
      'comment',
      '--comment',
      'netstrap:a b',
      '-j',
      'MASQUERADE',
    ]);
  });

  it('a tagged rule edited by hand (another --to-destination, another -s) is drift, replaced by the declared one', () => {
    const converged = recordedOutputs('converged');
    expect(nat.plan(node, new FactSet(converged), cluster)).toEqual([]);
    const edited = {
      ...converged,
      'iptables-nat': converged['iptables-nat']
        .replace('--to-destination 10.10.0.3:80', '--to-destination 10.10.0.9:80')
        .replace('-A POSTROUTING -s 10.10.0.0/24 -o eth0', '-A POSTROUTING -s 10.10.7.0/24 -o eth0'),
    };
    const changes = nat.plan(node, new FactSet(edited), cluster);
    expect(changes.map((c) => `${c.target}: ${c.after}`)).toEqual([
      'nat PREROUTING dnat:tcp:80:10.10.0.3:80: as declared',
      'nat POSTROUTING masquerade:10.10.0.0/24:out=eth0: as declared',
    ]);
    // Each edited rule is ONE change (issue 25): the edited copy goes, the declared one is appended in its place.
    expect(rendered(changes[0]).apply[0]).toContain(
      '-D PREROUTING -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 80',
    );
    expect(rendered(changes[0]).apply[0]).toContain('--to-destination 10.10.0.9:80');
    expect(rendered(changes[0]).apply[1]).toMatch(/^iptables -t nat -A PREROUTING .*--to-destination 10\.10\.0\.3:80$/);
    expect(rendered(changes[0]).revert[0]).toMatch(
      /^iptables -t nat -D PREROUTING .*--to-destination 10\.10\.0\.3:80$/,
    );
    expect(rendered(changes[0]).revert[1]).toMatch(
      /^iptables -t nat -I PREROUTING 1 .*--to-destination 10\.10\.0\.9:80$/,
    );
  });

  it('compares rules in iptables-save order and spelling', () => {
    expect(canonicalRule(['-p', 'tcp', '-i', 'eth0', '-m', 'tcp', '--dport', '80', '-s', '10.0.0.1/32'])).toBe(
      '-s 10.0.0.1 -i eth0 -p tcp -m tcp --dport 80',
    );
  });
});
