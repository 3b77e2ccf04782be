/**
 * The host side's IPv6 rules that need no kernel (issue 21): per-family route ids, which addresses skip DAD, the
 * ip6tables read only where IPv6 NAT is declared or owned, the pod range's IPv6 MASQUERADE, networkd drop-ins and
 * verify's IPv6 attempts. (The kernel side: dual-stack.test.ts.)
 */
import { execFileSync } from 'child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { FactSet } from '../../../src/host/fact';
import { dropInDestination } from '../../../src/host/network-manager';
import { addressArgs, immediateAddresses } from '../../../src/host/resources/addresses';
import { parseMainRoutes } from '../../../src/host/resources/ip-facts';
import { dropInContent } from '../../../src/host/resources/networkd';
import { desiredNatRules, nat, nat6, natFact } from '../../../src/host/resources/nat';
import { routeIds, routes } from '../../../src/host/resources/routes';
import { renderCommand } from '../../../src/host/shell';
import { attemptArgv } from '../../../src/host/verify';
import { effectiveNode } from '../../../src/model/effective';
import { checkCluster } from '../../../src/model/load';
import type { ClusterNode } from '../../../src/model/schema';
import { model } from './model';

const { cluster, node } = model();

describe('routes: one table per family', () => {
  test("IPv4's and IPv6's default are two routes with two ids, even with the same metric", () => {
    const ids = [
      routeIds.key({ family: 4, dst: 'default', metric: 100 }),
      routeIds.key({ family: 6, dst: 'default', metric: 100 }),
    ];
    expect(ids).toEqual(['default metric 100', '::/0 metric 100']);
    expect(ids.map((id) => routeIds.read(id))).toEqual([
      { family: 4, dst: 'default', metric: 100 },
      { family: 6, dst: 'default', metric: 100 },
    ]);
  });

  test('ip -j route show table all: main routes of each family (IPv6 told by pref), other tables left out', () => {
    const all = parseMainRoutes(
      JSON.stringify([
        { dst: 'default', gateway: '192.168.1.1', dev: 'eth0', flags: [] },
        { type: 'local', dst: '192.168.1.11', dev: 'eth0', table: 'local', flags: [] },
        { dst: 'default', dev: 'wg0', metric: 1024, flags: [], pref: 'medium' },
        { dst: 'fd00:2::/64', gateway: 'fd00:1::1', dev: 'eth0', metric: 1024, flags: [], pref: 'medium' },
        { dst: '10.9.0.0/16', gateway: '192.168.1.9', dev: 'eth0', table: '100', flags: [] },
      ]),
    );
    expect(all[4].map((r) => r.dst)).toEqual(['default']);
    expect(all[6].map((r) => `${r.dst} ${r.dev}`)).toEqual(['default wg0', 'fd00:2::/64 eth0']);
  });

  test('an IPv6 route without a metric is the kernel’s metric 1024: converged, and set and pruned with ip -6', () => {
    const dual = { ...node, routes: [...node.routes, { to: 'default', via: 'fd00:1::1' }] };
    const facts = (table: object[]) => new FactSet({ 'ip-route': JSON.stringify(table), 'ip-addr': '[]' });
    const v4 = [
      { dst: '192.168.2.0/24', gateway: '192.168.1.1', dev: 'eth0' },
      { dst: 'default', gateway: '192.168.1.1', dev: 'eth0', metric: 100 },
    ];
    const [add] = routes.plan(dual, facts(v4), cluster);
    expect({ target: add.target, apply: add.apply.map(renderCommand), revert: add.revert.map(renderCommand) }).toEqual({
      target: '::/0',
      apply: ['ip -6 route replace default via fd00:1::1'],
      revert: ['ip -6 route del default metric 1024'],
    });
    expect(add.owns?.[0].id).toBe('::/0 metric 1024');
    const v6 = { dst: 'default', gateway: 'fd00:1::1', dev: 'eth0', metric: 1024, pref: 'medium' };
    expect(routes.plan(dual, facts([...v4, v6]), cluster)).toEqual([]);
    // No longer declared: only the IPv6 default goes (IPv4's, also `default`, stays).
    const owned = [{ kind: 'route', id: '::/0 metric 1024', prior: null }];
    const prune = routes.plan(node, facts([...v4, v6]), cluster, owned);
    expect(prune.map((c) => c.apply.map(renderCommand))).toEqual([['ip -6 route del default metric 1024']]);
  });
});

describe('duplicate address detection: which IPv6 addresses skip it (nodad)', () => {
  const dual: ClusterNode = {
    ...node,
    interfaces: [
      { name: 'eth0', addresses: ['192.168.1.11/24', 'fd00:1::11/64'] },
      { name: 'eth1', addresses: ['fd00:7::11/64'] },
    ],
    routes: [{ to: 'fd00:2::/64', via: 'fd00:1::1' }],
    bridges: [{ name: 'br0', addresses: ['fd00:10::1/64', 'fd00:11::1/64'] }],
    namespaces: [
      {
        name: 'red',
        veth: {
          name: 'eth0',
          hostSide: 'veth-red',
          bridge: 'br0',
          address: '10.10.0.2/24',
          addresses: ['10.10.0.2/24', 'fd00:10::2/64'],
        },
        defaultRoute: '10.10.0.1',
        defaultRoutes: ['10.10.0.1', 'fd00:10::1'],
      },
    ],
  };
  test('the source of a route, a next hop, a namespace routing out: nodad; an address nothing uses at once: DAD', () => {
    const immediate = immediateAddresses(dual, cluster);
    expect([...immediate].sort()).toEqual(['fd00:10::1', 'fd00:10::2', 'fd00:1::1', 'fd00:1::11']);
    expect(addressArgs('add', 'fd00:1::11/64', 'eth0', immediate)).toEqual([
      'addr',
      'add',
      'fd00:1::11/64',
      'dev',
      'eth0',
      'nodad',
    ]);
    expect(addressArgs('add', 'fd00:7::11/64', 'eth1', immediate)).toEqual([
      'addr',
      'add',
      'fd00:7::11/64',
      'dev',
      'eth1',
    ]);
    expect(addressArgs('add', 'fd00:11::1/64', 'br0', immediate)).not.toContain('nodad');
    // IPv4 is as it always was.
    expect(addressArgs('add', '192.168.1.11/24', 'eth0', immediate)).toEqual([
      'addr',
      'add',
      '192.168.1.11/24',
      'dev',
      'eth0',
    ]);
  });
  test('an IPv4-only node computes nothing', () => {
    expect(immediateAddresses(node, cluster).size).toBe(0);
  });
});

describe('ip6tables NAT: its own kind, read in the iptables section only where IPv6 NAT is declared or owned', () => {
  const dual: ClusterNode = {
    ...node,
    nat: {
      masquerade: [...node.nat.masquerade, { source: 'fd00:10::/64', outInterface: 'eth0' }],
      portForwards: [{ protocol: 'tcp', port: 8080, to: '[fd00:10::3]:80' }],
    },
  };
  test('each family has its own rules; IPv4 is as before', () => {
    expect(desiredNatRules(dual).map((r) => r.id)).toEqual(['masquerade:10.10.0.0/24:out=eth0']);
    expect(desiredNatRules(dual, 6).map((r) => `${r.chain} ${r.args.join(' ')}`)).toEqual([
      'POSTROUTING -s fd00:10::/64 -o eth0 -m comment --comment netstrap:masquerade:fd00:10::/64:out=eth0 -j MASQUERADE',
      'PREROUTING -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 8080 -m comment --comment netstrap:dnat:tcp:8080:[fd00:10::3]:80 -j DNAT --to-destination [fd00:10::3]:80',
      'OUTPUT -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 8080 -m comment --comment netstrap:dnat:tcp:8080:[fd00:10::3]:80:local -j DNAT --to-destination [fd00:10::3]:80',
    ]);
    const facts = new FactSet({ 'iptables-nat': '' });
    expect(nat6.plan(dual, facts, cluster).map((c) => renderCommand(c.apply[0]))[0]).toBe(
      'ip6tables -t nat -A POSTROUTING -s fd00:10::/64 -o eth0 -m comment --comment netstrap:masquerade:fd00:10::/64:out=eth0 -j MASQUERADE',
    );
    expect(nat6.plan(node, facts, cluster)).toEqual([]);
  });

  test('the shell reads ip6tables-save only when the node declares IPv6 NAT or its record owns an ip6tables rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nat6-'));
    try {
      for (const [tool, rule] of [
        ['iptables-save', '-A POSTROUTING -s 10.1.0.0/16 -j MASQUERADE'],
        ['ip6tables-save', '-A POSTROUTING -s fd00:1::/64 -m comment --comment "netstrap:x" -j MASQUERADE'],
      ]) {
        writeFileSync(join(dir, tool), `#!/bin/sh\necho '*nat'\necho '${rule}'\necho COMMIT\n`);
        chmodSync(join(dir, tool), 0o755);
      }
      const record = join(dir, 'state.json');
      const read = (n: ClusterNode, recordText?: string) => {
        if (recordText === undefined) rmSync(record, { force: true });
        else writeFileSync(record, recordText);
        const [, , script, , wants] = natFact(n, cluster).argv;
        const out = execFileSync('sh', ['-c', script, 'sh', wants, record], {
          env: { PATH: `${dir}:/usr/bin:/bin` },
        }).toString();
        return new FactSet({ 'iptables-nat': out });
      };
      const kinds = (facts: FactSet, n: ClusterNode) => [nat, nat6].map((k) => k.plan(n, facts, cluster).length);
      expect(read(node).outputs['iptables-nat']).not.toContain('ip6tables');
      expect(
        read(node, '{\n  "objects": [\n    { "kind": "iptables", "id": "x" }\n  ]\n}\n').outputs['iptables-nat'],
      ).not.toContain('fd00');
      const owned = read(
        node,
        '{\n  "objects": [\n    {\n      "kind": "ip6tables",\n      "id": "POSTROUTING x"\n    }\n  ]\n}\n',
      );
      expect(owned.outputs['iptables-nat']).toContain('fd00:1::/64');
      // What the record owns is pruned.
      const prune = nat6.plan(node, owned, cluster, [{ kind: 'ip6tables', id: 'POSTROUTING x', prior: null }]);
      expect(prune.map((c) => renderCommand(c.apply[0]))).toEqual([
        'ip6tables -t nat -D POSTROUTING -s fd00:1::/64 -m comment --comment netstrap:x -j MASQUERADE',
      ]);
      expect(read(dual).outputs['iptables-nat']).toContain('fd00:1::/64');
      expect(kinds(read(dual), dual)[0]).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a dual-stack cluster's unique-local IPv6 pod range is masqueraded leaving it; a global one is not", () => {
    const file = (podIpv6: string) =>
      checkCluster(
        {
          name: 'ds',
          network: { podCidr: ['10.244.0.0/16', podIpv6], serviceCidr: ['10.96.0.0/12', 'fd00:96::/108'] },
          cni: { plugin: 'bridge' },
          nodes: [{ name: 'w1', ssh: { host: '10.250.226.11' }, cniConflists: true }],
        },
        'ds.yaml',
      ).cluster;
    const ula = file('fd00:10:244::/56');
    expect(desiredNatRules(effectiveNode(ula, ula.nodes[0]), 6).map((r) => r.args.slice(0, 5).join(' '))).toEqual([
      '-s fd00:10:244::/56 ! -d fd00:10:244::/56',
    ]);
    const global = file('2001:db8:244::/56');
    expect(desiredNatRules(effectiveNode(global, global.nodes[0]), 6)).toEqual([]);
  });
});

describe('networkd drop-ins and verify, for IPv6', () => {
  test('an IPv6 route: Destination ::/0 or a /128, an IPv6 Gateway on the link', () => {
    expect(dropInDestination('default', 'fd00:1::1')).toBe('::/0');
    expect(dropInDestination('fd00:9::9', 'fd00:1::1')).toBe('fd00:9::9/128');
    expect(dropInDestination('default', '192.168.1.1')).toBe('0.0.0.0/0');
    const dual = {
      ...node,
      interfaces: [{ name: 'eth0', addresses: ['192.168.1.11/24', 'fd00:1::11/64'] }],
      routes: [{ to: 'default', via: 'fd00:1::1', metric: 100 }],
    };
    expect(dropInContent(dual, 'eth0')).toContain(
      'Address=fd00:1::11/64\n\n[Route]\nDestination=::/0\nGateway=fd00:1::1\nGatewayOnLink=yes\nMetric=100\n',
    );
  });

  test('ping -6 of an IPv6 address; tcp to [v6]:port connects to the bare address', () => {
    expect(attemptArgv('ping', 'fd00:1::11')).toEqual(['ping', '-6', '-n', '-q', '-c', '1', '-W', '1', 'fd00:1::11']);
    expect(attemptArgv('ping', '10.0.0.1')).toEqual(['ping', '-n', '-q', '-c', '1', '-W', '1', '10.0.0.1']);
    expect(attemptArgv('tcp', '[fd00:1::11]', 80).slice(-2)).toEqual(['fd00:1::11', '80']);
  });
});
