/**
 * diagnose's check groups as pure functions over RECORDED facts: test/fixtures/diagnose-facts/healthy.json is the
 * read round trip of every node of test/fixtures/i14-diagnose.yaml, converged, with real plugins in cni.binDir
 * (recorded from the lab). Each test changes one section the way a faulty node would print it and checks the
 * finding: severity, the node named, observed/expected and the fix. The lab test runs the same against real nodes.
 */
import * as fs from 'fs';
import { checkReads, diagnoseCluster, summarize } from '../../src/host/diagnose';
import { buildProbeScript, parseProbeOutput, chooseProbes, probeFindings } from '../../src/host/diagnose/probes';
import { parseListeners, parseNodeView } from '../../src/host/diagnose/read';
import { diagnoseJson, formatDiagnose } from '../../src/host/diagnose/report';
import type { Finding, NodeRead } from '../../src/host/diagnose/types';
import { fileFactSection, joinFiles } from '../../src/host/resources/file-facts';
import { FactSet } from '../../src/host/fact';
import { ClusterModel, checkCluster, loadClusterFile, parseClusterText } from '../../src/model/load';
import { fixture } from '../support/lab';

const recorded = JSON.parse(fs.readFileSync(fixture('diagnose-facts/healthy.json'), 'utf8')) as Record<
  string,
  Record<string, string>
>;
const healthyModel = loadClusterFile(fixture('i14-diagnose.yaml'));

type Edit = (facts: Record<string, string>) => void;

/** The recorded reads, with `edits[node]` applied to that node's raw sections. */
function reads(edits: Record<string, Edit> = {}, model: ClusterModel = healthyModel): NodeRead[] {
  return model.cluster.nodes.map((node, index) => {
    const facts = { ...recorded[node.name] };
    edits[node.name]?.(facts);
    const set = new FactSet(facts);
    return { node, index, facts: set, view: parseNodeView(set, model.cluster) };
  });
}

/** Every finding, each with the node it was reported on (undefined: top-level). */
function run(edits: Record<string, Edit> = {}, model: ClusterModel = healthyModel): Array<Finding & { on?: string }> {
  const { perNode, spanning } = checkReads(model, reads(edits, model));
  return [...[...perNode].flatMap(([on, list]) => list.map((f) => ({ ...f, on }))), ...spanning];
}

const notOk = (findings: Array<Finding & { on?: string }>) => findings.filter((f) => f.severity !== 'ok');
/** A file's content as the node would print it: in its own section (hosts, resolv.conf) or in diag-files. */
const file =
  (path: string, content: string): Edit =>
  (facts) => {
    const base64 = Buffer.from(content).toString('base64');
    if (facts[fileFactSection(path)] !== undefined) facts[fileFactSection(path)] = `file:${base64}\n`;
    else
      facts['diag-files'] =
        [
          ...facts['diag-files'].split('\n').filter((l) => l !== '' && !l.startsWith(`${path} `)),
          `${path} file:${base64}`,
        ].join('\n') + '\n';
  };
/** Replaces a line of the diag-node section (or adds it). */
const nodeLine =
  (from: RegExp, to: string): Edit =>
  (facts) => {
    facts['diag-node'] = from.test(facts['diag-node'])
      ? facts['diag-node'].replace(from, to)
      : `${facts['diag-node']}${to}\n`;
  };
const ipJson =
  (section: 'ip-addr' | 'ip-route', change: (entries: Array<Record<string, any>>) => void): Edit =>
  (facts) => {
    const entries = JSON.parse(facts[section]);
    change(entries);
    facts[section] = JSON.stringify(entries);
  };
const sysctl =
  (key: string, value: string): Edit =>
  (facts) => {
    const path = key.split('.').join('/');
    facts['diag-node'] = facts['diag-node'].replace(
      new RegExp(`^/proc/sys/${path}:.*$`, 'm'),
      `/proc/sys/${path}:${value}`,
    );
  };
const both =
  (...edits: Edit[]): Edit =>
  (facts) =>
    edits.forEach((e) => e(facts));

/** A cluster-file variant of the fixture. */
function variant(change: (cluster: any) => void): ClusterModel {
  const raw = JSON.parse(
    JSON.stringify(require('js-yaml').load(fs.readFileSync(fixture('i14-diagnose.yaml'), 'utf8'))),
  );
  change(raw);
  return checkCluster(raw, 'variant.yaml');
}

describe('diagnose checks on recorded facts', () => {
  test('the recorded converged lab: no fail; what is not there yet (Kubernetes) is a warning', () => {
    const findings = run();
    expect(findings.filter((f) => f.severity === 'fail')).toEqual([]);
    expect(
      notOk(findings)
        .map((f) => `${f.on} ${f.check}`)
        .sort(),
    ).toEqual(['cp01 ports.listener', 'w01 ports.listener', 'w02 ports.listener']);
    expect(summarize(findings).ok).toBeGreaterThan(50);
  });

  describe("drift (the provisioner's own plan)", () => {
    test('a deleted route is a pending change, summarized with its before and after', () => {
      const drift = run({
        w01: ipJson('ip-route', (r) =>
          r.splice(
            r.findIndex((x) => x.dst === '192.168.2.0/24'),
            1,
          ),
        ),
      }).find((f) => f.check === 'drift' && f.on === 'w01')!;
      expect(drift).toMatchObject({ severity: 'fail', fix: expect.stringMatching(/^run `netstrap bootstrap`/) });
      expect(drift.message).toBe(
        'w01: not converged: 1 change(s) pending: route 192.168.2.0/24 (absent → via 192.168.1.1)',
      );
    });
    test('an owned route the file no longer declares is a removal', () => {
      const model = variant((c) => {
        c.nodes[2].routes = c.nodes[2].routes.filter((r: any) => r.to !== '10.244.0.0/24');
      });
      const drift = run({}, model).filter((f) => f.on === 'w01' && f.check.startsWith('drift'));
      expect(drift.find((f) => f.check === 'drift')!.message).toMatch(
        /^w01: not converged: 1 change\(s\) pending \(1 removal\(s\) of what the file no longer declares\): - route 10\.244\.0\.0\/24/,
      );
      // The boot script changes with it: both are reported, each with bootstrap as the fix.
      expect(drift.find((f) => f.check === 'drift.boot')).toMatchObject({
        severity: 'fail',
        fix: expect.stringMatching(/^run `netstrap bootstrap`/),
      });
    });
    test('live state right but the boot script edited: it would not survive a reboot', () => {
      const findings = run({ w02: file('/etc/netstrap/network.sh', '#!/bin/sh\n# emptied by hand\n') }).filter(
        (f) => f.on === 'w02' && f.check.startsWith('drift'),
      );
      expect(findings.map((f) => f.check)).toEqual(['drift.boot']);
      expect(findings[0].message).toMatch(
        /^w02: what boot rebuilds differs from the cluster file: boot-persistence \/etc\/netstrap\/network\.sh .*would not survive a reboot as it is$/,
      );
    });
  });

  describe('forwarding', () => {
    test('ip_forward 0 on the router: fail naming who routes through it', () => {
      const f = run({ router: sysctl('net.ipv4.ip_forward', '0') }).find(
        (x) => x.check === 'forwarding.ip-forward' && x.on === 'router',
      )!;
      expect(f).toMatchObject({ severity: 'fail', observed: '0', expected: '1', fix: 'run `netstrap bootstrap`' });
      expect(f.message).toBe(
        'router: net.ipv4.ip_forward is 0, expected 1 (nodes[1].sysctls): cp01, w01, w02 route through it',
      );
    });
    test('a router the cluster file does not declare forwarding for: the fix is the cluster-file change', () => {
      const model = variant((c) => {
        delete c.nodes[1].sysctls;
      });
      const f = run({ router: sysctl('net.ipv4.ip_forward', '0') }, model).find(
        (x) => x.check === 'forwarding.ip-forward' && x.on === 'router',
      )!;
      expect(f.severity).toBe('fail');
      expect(f.fix).toBe('add sysctls: { net.ipv4.ip_forward: 1 } to nodes[1] (router) and run `netstrap bootstrap`');
    });
    test("br_netfilter not loaded: on a shared kernel it is the machine's; on a real node with the profile, a fail", () => {
      const absent = nodeLine(/^module:br_netfilter=loaded$/m, 'module:br_netfilter=absent');
      const shared = run({ w01: absent }).find((x) => x.check === 'forwarding.br-netfilter')!;
      expect(shared).toMatchObject({
        severity: 'warn',
        fix: 'load it on the machine that owns the kernel: `modprobe br_netfilter`',
      });
      expect(shared.message).toMatch(/shares its kernel with the machine/);
      const model = variant((c) => {
        c.nodes[2].kubernetesPrerequisites = true;
      });
      const real = run({ w01: both(absent, nodeLine(/^proc-sys=.*$/m, 'proc-sys=rw,nosuid')) }, model).find(
        (x) => x.check === 'forwarding.br-netfilter',
      )!;
      expect(real).toMatchObject({ severity: 'fail', fix: 'run `netstrap bootstrap`' });
    });
    test('bridge-nf-call-iptables 0 on a Kubernetes node without the profile: a warning whose fix is the profile', () => {
      const f = run({ w02: sysctl('net.bridge.bridge-nf-call-iptables', '0') }).find(
        (x) => x.check === 'forwarding.bridge-nf-call-iptables' && x.on === 'w02',
      )!;
      expect(f).toMatchObject({ severity: 'warn', observed: '0', expected: '1' });
      expect(f.fix).toBe('set kubernetesPrerequisites: true on nodes[3] (w02) and run `netstrap bootstrap`');
    });
  });

  describe('addresses', () => {
    const addAddress = (dev: string, local: string, prefixlen: number) =>
      ipJson('ip-addr', (entries) => {
        entries.find((e) => e.ifname === dev)!.addr_info.push({ family: 'inet', local, prefixlen, scope: 'global' });
      });
    test('a node address inside serviceCidr, not in the cluster file: fail with the command that removes it', () => {
      const f = run({ w02: addAddress('eth0', '10.96.0.5', 24) }).find(
        (x) => x.check === 'addresses.in-cluster-cidr' && x.severity === 'fail',
      )!;
      expect(f.on).toBe('w02');
      expect(f.message).toMatch(/^w02: address 10\.96\.0\.5\/24 on eth0 overlaps serviceCidr 10\.96\.0\.0\/12/);
      expect(f.fix).toBe(
        'remove it (not in the cluster file): `ip addr del 10.96.0.5/24 dev eth0` on w02, or change network.serviceCidr',
      );
    });
    test('the pod gateway on the CNI bridge is not a node address inside podCidr', () => {
      const cni0 = ipJson('ip-addr', (e) =>
        e.push({
          ifname: 'cni0',
          mtu: 1500,
          flags: ['UP'],
          addr_info: [{ family: 'inet', local: '10.244.2.1', prefixlen: 24 }],
        }),
      );
      expect(notOk(run({ w02: cni0 })).filter((f) => f.check.startsWith('addresses'))).toEqual([]);
    });
    test('a duplicate address across nodes: one top-level fail naming both nodes; the fix names the one that is not declared', () => {
      const f = run({ cp01: addAddress('eth0', '192.168.1.12', 24) }).find(
        (x) => x.check === 'addresses.duplicate' && x.severity === 'fail',
      )!;
      expect(f.on).toBeUndefined();
      expect(f.nodes).toEqual(['cp01', 'w01']);
      expect(f.message).toMatch(
        /^address 192\.168\.1\.12 is on 2 nodes: cp01 eth0 \(not in the cluster file\), w01 eth0:/,
      );
      expect(f.fix).toBe('remove it from cp01 (not in the cluster file): `ip addr del 192.168.1.12/24 dev eth0`');
    });
    test('a duplicate IPv6 address (issue 21; an address added nodad skips DAD): the same finding, not link-local ones', () => {
      const add6 = (local: string) =>
        ipJson('ip-addr', (entries) => {
          const eth0 = entries.find((e) => e.ifname === 'eth0')!;
          eth0.addr_info.push({ family: 'inet6', local, prefixlen: 64, scope: 'global' });
          eth0.addr_info.push({ family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' });
        });
      const f = run({ cp01: add6('fd00:1::12'), w01: add6('fd00:1::12') }).filter(
        (x) => x.check === 'addresses.duplicate' && x.severity === 'fail',
      );
      expect(f.map((x) => x.message)).toEqual([
        expect.stringMatching(
          /^address fd00:1::12 is on 2 nodes: cp01 eth0 \(not in the cluster file\), w01 eth0 \(not in the cluster file\): neighbour discovery/,
        ),
      ]);
    });
    test('an MTU that differs on one LAN: expected is the declared one when there is one, else the common one', () => {
      const mtu = ipJson('ip-addr', (links) => {
        links.find((l) => l.ifname === 'eth0')!.mtu = 1400;
      });
      const f = run({ w01: mtu }).find((x) => x.check === 'addresses.mtu' && x.severity === 'fail')!;
      expect(f).toMatchObject({ nodes: ['cp01', 'router', 'w01'], observed: 'w01:eth0=1400', expected: '1500' });
      expect(f.fix).toBe('w01 eth0: set nodes[2].interfaces[0].mtu: 1500 and run `netstrap bootstrap`');
      const declared = variant((c) => {
        c.nodes[0].interfaces[0].mtu = 1400;
        c.nodes[2].interfaces[0].mtu = 1400;
        c.nodes[1].interfaces[0].mtu = 1400;
      });
      const g = run({ w01: mtu }, declared).find((x) => x.check === 'addresses.mtu' && x.severity === 'fail')!;
      // cp01 and the router still have 1500 live although 1400 is declared: they are the odd ones, bootstrap fixes them.
      expect(g).toMatchObject({ expected: '1400', observed: 'cp01:eth0=1500, router:eth0=1500' });
      expect(g.fix).toMatch(/^cp01 eth0: run `netstrap bootstrap` \(nodes\[0\]\.interfaces\[0\]\.mtu is 1400\)/);
    });
  });

  describe('routes', () => {
    const dropRoute = (dst: string) =>
      ipJson('ip-route', (r) =>
        r.splice(
          r.findIndex((x) => x.dst === dst),
          1,
        ),
      );
    test('a declared route that is gone: fail naming the route and where it is declared', () => {
      const f = run({ w01: dropRoute('192.168.2.0/24') }).find(
        (x) => x.check === 'routes.missing' && x.severity === 'fail',
      )!;
      expect(f).toMatchObject({
        on: 'w01',
        observed: 'absent',
        expected: '192.168.2.0/24 via 192.168.1.1',
        fix: 'run `netstrap bootstrap`',
      });
      expect(f.message).toBe(
        'w01: no route to 192.168.2.0/24; expected 192.168.2.0/24 via 192.168.1.1 (nodes[2].routes[0])',
      );
    });
    test('a route with another gateway: fail', () => {
      const f = run({
        w01: ipJson('ip-route', (r) => {
          r.find((x) => x.dst === '10.244.0.0/24')!.gateway = '192.168.1.1';
        }),
      }).find((x) => x.check === 'routes.gateway')!;
      expect(f).toMatchObject({
        severity: 'fail',
        observed: '10.244.0.0/24 via 192.168.1.1 dev eth0',
        expected: '10.244.0.0/24 via 192.168.1.11',
      });
    });
    test('no route at all to another LAN or pod subnet the file does not route: a warning that suggests the route', () => {
      const model = variant((c) => {
        c.nodes[2].routes = c.nodes[2].routes.filter((r: any) => r.to !== '192.168.2.0/24');
      });
      const f = run({ w01: dropRoute('192.168.2.0/24') }, model).find((x) => x.check === 'routes.unreachable')!;
      expect(f).toMatchObject({ severity: 'warn', on: 'w01' });
      expect(f.fix).toBe(
        'add to nodes[2].routes: { to: 192.168.2.0/24, via: 192.168.1.1 } and run `netstrap bootstrap`',
      );
    });
    test('a route toward another LAN that the cluster file does not declare: extra', () => {
      const model = variant((c) => {
        c.nodes[2].routes = c.nodes[2].routes.filter((r: any) => r.to !== '192.168.2.0/24');
      });
      const f = run({}, model).find((x) => x.check === 'routes.extra')!;
      expect(f).toMatchObject({
        severity: 'warn',
        on: 'w01',
        fix: 'declare it in nodes[2].routes, or remove it: `ip route del 192.168.2.0/24` on w01',
      });
    });
    test('a more specific route beside a declared one hijacks part of it: fail with the `ip route del`', () => {
      const findings = run({
        w01: ipJson('ip-route', (r) => {
          r.push({ dst: '192.168.2.0/25', gateway: '192.168.1.99', dev: 'eth0', flags: [] });
        }),
      });
      const f = findings.find((x) => x.check === 'routes.hijack')!;
      expect(f).toMatchObject({
        severity: 'fail',
        on: 'w01',
        observed: '192.168.2.0/25 via 192.168.1.99 dev eth0',
        fix: 'remove it: `ip route del 192.168.2.0/25` on w01 (or declare it in nodes[2].routes)',
      });
      expect(f.message).toBe(
        'w01: route 192.168.2.0/25 via 192.168.1.99 dev eth0 is not in the cluster file and wins over the declared 192.168.2.0/24 via 192.168.1.1 (nodes[2].routes[0]) for 192.168.2.0/25',
      );
      // No longer "all routes in place".
      expect(findings.some((x) => x.on === 'w01' && x.check === 'routes.missing' && x.severity === 'ok')).toBe(false);
    });
    test('the same destination via another gateway with a lower metric, and a route inside a connected LAN: fails', () => {
      const model = variant((c) => {
        c.nodes[2].routes[0].metric = 100;
      });
      const findings = run(
        {
          w01: ipJson('ip-route', (r) => {
            r.find((x) => x.dst === '192.168.2.0/24')!.metric = 100;
            r.push({ dst: '192.168.2.0/24', gateway: '192.168.1.99', dev: 'eth0', metric: 50, flags: [] });
            r.push({ dst: '192.168.1.128/25', gateway: '192.168.1.99', dev: 'eth0', flags: [] });
          }),
        },
        model,
      ).filter((x) => x.check === 'routes.hijack');
      expect(findings.map((f) => [f.severity, f.on, f.fix])).toEqual([
        ['fail', 'w01', 'remove it: `ip route del 192.168.2.0/24 metric 50` on w01 (or declare it in nodes[2].routes)'],
        ['fail', 'w01', 'remove it: `ip route del 192.168.1.128/25` on w01 (or declare it in nodes[2].routes)'],
      ]);
      expect(findings[0].message).toMatch(
        /wins over the declared 192\.168\.2\.0\/24 via 192\.168\.1\.1 metric 100 .* \(a lower metric\)$/,
      );
      expect(findings[1].message).toMatch(/wins over the connected network 192\.168\.1\.0\/24 on eth0/);
    });
    test('an address the file does not declare, inside a declared route: its connected route hijacks; fail naming the address', () => {
      const f = run({
        w01: ipJson('ip-route', (r) => {
          r.push({
            dst: '192.168.2.0/25',
            dev: 'dummy0',
            protocol: 'kernel',
            scope: 'link',
            prefsrc: '192.168.2.5',
            flags: [],
          });
        }),
      }).filter((x) => x.check === 'routes.hijack');
      expect(f.map((x) => [x.severity, x.on, x.fix])).toEqual([
        ['fail', 'w01', 'remove the address: `ip addr del 192.168.2.5/25 dev dummy0` on w01'],
      ]);
      expect(f[0].message).toBe(
        'w01: route 192.168.2.0/25 dev dummy0 of the address 192.168.2.5, which is not in the cluster file, wins over the declared 192.168.2.0/24 via 192.168.1.1 (nodes[2].routes[0]) for 192.168.2.0/25',
      );
    });
    test('an ip rule before the main table whose table routes a declared destination elsewhere: fail with `ip rule del`', () => {
      const rules =
        (text: string): Edit =>
        (facts) => {
          facts['diag-rules'] = text;
        };
      const f = run({
        w01: rules(
          [
            'rules [{"priority":0,"src":"all","table":"local"},{"priority":100,"src":"all","dst":"192.168.2.0","dstlen":24,"table":"100"},{"priority":32766,"src":"all","table":"main"},{"priority":32767,"src":"all","table":"default"}]',
            'table 100 [{"dst":"192.168.2.0/24","gateway":"192.168.1.99","dev":"eth0","flags":[]}]',
          ].join('\n'),
        ),
      }).filter((x) => x.check === 'routes.rule');
      expect(f).toHaveLength(1);
      expect(f[0]).toMatchObject({
        severity: 'fail',
        on: 'w01',
        fix: 'remove it: `ip rule del priority 100 to 192.168.2.0/24` (and `ip route del 192.168.2.0/24 table 100` if nothing else uses table 100) on w01',
      });
      expect(f[0].message).toMatch(
        /^w01: ip rule priority 100 to 192\.168\.2\.0\/24 comes before the main table and sends it to table 100/,
      );
      // A rule after the main table, or one whose table does not reach a guarded destination, is no finding.
      const quiet = run({
        w01: rules(
          'rules [{"priority":0,"src":"all","table":"local"},{"priority":100,"src":"all","table":"7"},{"priority":32766,"src":"all","table":"main"},{"priority":32767,"src":"all","table":"default"}]\ntable 7 [{"dst":"172.31.0.0/16","dev":"eth0","flags":[]}]',
        ),
      }).filter((x) => x.check === 'routes.rule');
      expect(quiet).toEqual([]);
    });
  });

  describe('Kubernetes ports', () => {
    const listeners =
      (lines: string[]): Edit =>
      (facts) => {
        facts['diag-listeners'] = lines.join('\n') + '\n';
      };
    const line = (address: string, port: number, name: string, pid: number) =>
      `LISTEN 0 4096 ${address}:${port} 0.0.0.0:* users:(("${name}",pid=${pid},fd=3))`;
    test('a foreign process on 6443: fail naming it and its pid', () => {
      const f = run({ cp01: listeners([line('192.168.1.11', 6443, 'python3', 4242)]) }).find(
        (x) => x.check === 'ports.unexpected-process',
      )!;
      expect(f).toMatchObject({
        severity: 'fail',
        on: 'cp01',
        observed: 'python3',
        expected: 'kube-apiserver on 6443',
        fix: 'stop python3 (pid 4242) on cp01, or move it off port 6443',
      });
    });
    test("a running control plane (comm names cut at 15 characters) is ok, and etcd's connections are counted", () => {
      const running = both(
        listeners([
          line('192.168.1.11', 6443, 'kube-apiserver', 10),
          line('127.0.0.1', 10257, 'kube-controller', 11),
          line('127.0.0.1', 10259, 'kube-scheduler', 12),
          line('192.168.1.11', 2379, 'etcd', 13),
          line('192.168.1.11', 2380, 'etcd', 13),
          '*:10250 LISTEN',
          line('*', 10250, 'kubelet', 14),
          'etcd-connections=12',
        ]),
      );
      const findings = run({ cp01: running }).filter((f) => f.on === 'cp01' && f.check.startsWith('ports'));
      expect(findings.filter((f) => f.severity !== 'ok')).toEqual([]);
      expect(findings.map((f) => f.message)).toContain('cp01: etcd has 12 client connection(s) on 2379');
    });
    test('kubelet running but no API server on a control-plane node: fail per free port', () => {
      const findings = run({ cp01: listeners([line('0.0.0.0', 10250, 'kubelet', 14)]) }).filter(
        (f) => f.on === 'cp01' && f.check === 'ports.listener' && f.severity === 'fail',
      );
      expect(findings.map((f) => f.expected)).toEqual([
        'kube-apiserver on 6443',
        'kube-controller-manager on 10257',
        'kube-scheduler on 10259',
        'etcd on 2379',
        'etcd on 2380',
      ]);
    });
    test('parses ss output, IPv6 and scoped addresses included', () => {
      expect(
        parseListeners(
          'LISTEN 0 4096 [::]:10250 [::]:* users:(("kubelet",pid=7,fd=20))\nLISTEN 0 128 127.0.0.53%lo:53 0.0.0.0:*\n',
        ),
      ).toEqual([
        { address: '::', port: 10250, processes: [{ name: 'kubelet', pid: 7 }] },
        { address: '127.0.0.53', port: 53, processes: [] },
      ]);
    });
  });

  describe('CNI', () => {
    const conf =
      (files: Array<[string, unknown]>): Edit =>
      (facts) => {
        const bins = facts['diag-cni'].split('\n').filter((l) => l.startsWith('bin '));
        facts['diag-cni'] =
          [
            ...files.map(
              ([name, value]) =>
                `conf ${name} ${Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64')}`,
            ),
            ...bins,
          ].join('\n') + '\n';
      };
    const ours = () => Buffer.from(recorded.w01['diag-cni'].split('\n')[0].split(' ')[2], 'base64').toString();
    test("a conflist with a lower name shadows netstrap's", () => {
      const other = {
        cniVersion: '1.0.0',
        name: 'other',
        plugins: [{ type: 'bridge', ipam: { type: 'host-local', subnet: '10.244.1.0/24' } }],
      };
      const f = run({
        w01: conf([
          ['10-i14-diag.conflist', ours()],
          ['00-other.conflist', other],
        ]),
      }).find((x) => x.check === 'cni.active-conflist' && x.on === 'w01')!;
      expect(f).toMatchObject({
        severity: 'fail',
        on: 'w01',
        observed: '00-other.conflist',
        expected: '10-i14-diag.conflist',
      });
      expect(f.fix).toBe('remove or rename /etc/cni/net.d/00-other.conflist on w01 (netstrap did not write it)');
    });
    test('a file that sorts first but does not parse is skipped, as the runtime does (a warning)', () => {
      const findings = run({
        w01: conf([
          ['00-broken.conf', '{not json'],
          ['10-i14-diag.conflist', ours()],
        ]),
      }).filter((x) => x.on === 'w01' && x.check === 'cni.active-conflist');
      expect(findings.map((f) => f.severity)).toEqual(['warn', 'ok']);
    });
    test('cni.plugin none: no conflist yet is no warning, and no "install a CNI plugin" (the CNI comes by other means)', () => {
      const none = parseClusterText(
        fs
          .readFileSync(fixture('i14-diagnose.yaml'), 'utf8')
          .replace(/cni: \{[^}]*\}/, 'cni: { plugin: none }')
          .replace(/cniConflists: true/g, 'cniConflists: false'),
        'i14-none.yaml',
      );
      expect(none.cluster.cni.plugin).toBe('none');
      const findings = run({ w01: conf([]) }, none).filter((x) => x.on === 'w01' && x.check === 'cni.active-conflist');
      expect(findings.map((f) => [f.severity, f.message])).toEqual([
        ['ok', 'w01: /etc/cni/net.d has no CNI configuration yet; cni.plugin none: the CNI you install writes it'],
      ]);
      expect(JSON.stringify(findings)).not.toContain('install a CNI plugin');
    });
    test("netstrap's list with another subnet than the plan, and a missing plugin", () => {
      const changed = ours().replace('10.244.1.0/24', '10.244.9.0/24');
      const findings = run({
        w01: both(conf([['10-i14-diag.conflist', changed]]), (facts) => {
          facts['diag-cni'] = facts['diag-cni']
            .split('\n')
            .filter((l) => !l.startsWith('bin ') || ['bin bridge', 'bin host-local'].includes(l))
            .join('\n');
        }),
      });
      expect(findings.find((x) => x.check === 'cni.subnet' && x.on === 'w01')).toMatchObject({
        severity: 'fail',
        observed: '10.244.9.0/24',
        expected: '10.244.1.0/24',
      });
      expect(findings.find((x) => x.check === 'cni.plugins' && x.on === 'w01')).toMatchObject({
        severity: 'fail',
        observed: 'missing portmap',
        fix: 'install the containernetworking plugins into /opt/cni/bin on w01 (netstrap never downloads them), or set cni.binDir to where they are',
      });
    });
  });

  describe('Kubernetes configuration on the node', () => {
    const manifest = (flag: string) =>
      `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: x\n    command: [kube-apiserver, ${flag}]\n`;
    test("kube-apiserver's service range and kube-controller-manager's cluster CIDR against the plan", () => {
      const findings = run({
        cp01: both(
          file('/etc/kubernetes/manifests/kube-apiserver.yaml', manifest('--service-cluster-ip-range=10.100.0.0/16')),
          file('/etc/kubernetes/manifests/kube-controller-manager.yaml', manifest('--cluster-cidr=10.244.0.0/16')),
        ),
      });
      expect(findings.find((f) => f.check === 'kubernetes.service-cidr')).toMatchObject({
        severity: 'fail',
        on: 'cp01',
        observed: '10.100.0.0/16',
        expected: '10.96.0.0/12',
      });
      expect(findings.find((f) => f.check === 'kubernetes.service-cidr')!.fix).toMatch(
        /^set network\.serviceCidr: 10\.100\.0\.0\/16 in the cluster file/,
      );
      expect(findings.find((f) => f.check === 'kubernetes.cluster-cidr')).toMatchObject({ severity: 'ok' });
    });
    test("kubelet's clusterDNS and clusterDomain", () => {
      const findings = run({
        cp01: file('/var/lib/kubelet/config.yaml', 'clusterDNS: [169.254.20.10]\nclusterDomain: example.org\n'),
      });
      expect(findings.find((f) => f.check === 'kubernetes.kubelet-dns')).toMatchObject({
        severity: 'fail',
        observed: '169.254.20.10',
        expected: '10.96.0.10',
      });
      expect(findings.find((f) => f.check === 'kubernetes.kubelet-domain')).toMatchObject({
        severity: 'fail',
        observed: 'example.org',
        expected: 'cluster.local',
      });
    });
    test('kube-proxy in ipvs mode (kube-ipvs0) while the file says iptables', () => {
      const ipvs = ipJson('ip-addr', (links) =>
        links.push({ ifname: 'kube-ipvs0', mtu: 1500, flags: [], addr_info: [] }),
      );
      expect(run({ w02: ipvs }).find((f) => f.check === 'kubernetes.kube-proxy-mode' && f.on === 'w02')).toMatchObject({
        severity: 'fail',
        observed: 'ipvs',
        expected: 'iptables',
      });
      const chains: Edit = (facts) => {
        facts['iptables-nat'] = '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\nCOMMIT\n';
      };
      expect(
        run({ w02: chains }).find((f) => f.check === 'kubernetes.kube-proxy-mode' && f.on === 'w02'),
      ).toMatchObject({ severity: 'ok', observed: 'iptables' });
    });
  });

  describe('DNS', () => {
    test("resolv.conf at 127.0.0.53 on the CoreDNS node: fail; unless kubelet's resolvConf points elsewhere", () => {
      const stub = file('/etc/resolv.conf', 'nameserver 127.0.0.53\noptions edns0\n');
      expect(run({ cp01: stub }).find((f) => f.check === 'dns.resolv-conf' && f.on === 'cp01')).toMatchObject({
        severity: 'fail',
        observed: '127.0.0.53',
      });
      expect(run({ w01: stub }).find((f) => f.check === 'dns.resolv-conf' && f.on === 'w01')!.severity).toBe('warn');
      const redirected = both(
        stub,
        file(
          '/var/lib/kubelet/config.yaml',
          'clusterDNS: [10.96.0.10]\nclusterDomain: cluster.local\nresolvConf: /run/systemd/resolve/resolv.conf\n',
        ),
      );
      expect(run({ cp01: redirected }).find((f) => f.check === 'dns.resolv-conf' && f.on === 'cp01')!.severity).toBe(
        'ok',
      );
    });
    test('the /etc/hosts block: broken markers, a changed block, a shadowing line before it', () => {
      const hosts = (text: string) =>
        run({ w02: file('/etc/hosts', text) }).find((f) => f.check === 'dns.hosts-block' && f.on === 'w02')!;
      expect(hosts('127.0.0.1 localhost\n# BEGIN netstrap\n192.168.1.11\tcp01\n')).toMatchObject({
        severity: 'fail',
        fix: expect.stringMatching(/by hand/),
      });
      expect(hosts('# BEGIN netstrap\n192.168.1.99\tcp01\n# END netstrap\n')).toMatchObject({
        severity: 'fail',
        observed: '192.168.1.99\tcp01',
        fix: 'run `netstrap bootstrap`',
      });
      const shadow = hosts('10.0.0.1 cp01\n# BEGIN netstrap\n192.168.1.11\tcp01\n# END netstrap\n');
      expect(shadow).toMatchObject({ severity: 'fail', observed: '10.0.0.1', expected: '192.168.1.11' });
      expect(shadow.message).toBe(
        "w02: cp01 resolves to 10.0.0.1 from line 1 of /etc/hosts, before netstrap's block (192.168.1.11)",
      );
    });
    test('nsswitch hosts order', () => {
      const ns = (text: string, node = 'w02') =>
        run({ [node]: file('/etc/nsswitch.conf', text) }).find((f) => f.check === 'dns.nsswitch' && f.on === node)!;
      expect(ns('hosts: dns files\n').severity).toBe('fail'); // w02 has hosts entries
      expect(ns('hosts: dns files\n', 'w01').severity).toBe('warn');
      expect(ns('hosts:  files [NOTFOUND=return] dns myhostname\n').severity).toBe('ok');
    });
  });

  describe('preflight', () => {
    test('a missing binary, swap on a shared kernel, firewalld, an invalid hostname', () => {
      const findings = run({
        w01: (facts) => {
          nodeLine(/^bin:conntrack=yes$/m, 'bin:conntrack=no')(facts);
          nodeLine(/^firewalld=.*$/m, 'firewalld=running')(facts);
          nodeLine(/^hostname=.*$/m, 'hostname=W01_old')(facts);
          nodeLine(/^resolves=.*$/m, 'resolves=')(facts);
          file('/proc/swaps', 'Filename\tType\tSize\tUsed\tPriority\n/swapfile file 1048572 0 -2\n')(facts);
        },
      }).filter((f) => f.on === 'w01' && f.check.startsWith('preflight'));
      const by = (check: string) => findings.find((f) => f.check === check)!;
      expect(by('preflight.binaries')).toMatchObject({
        severity: 'fail',
        observed: 'missing conntrack',
        fix: 'install them on w01 (Debian packages: conntrack)',
      });
      expect(by('preflight.swap').severity).toBe('warn');
      expect(by('preflight.swap').message).toMatch(/swap is the machine's, not the node's|the swap is the machine's/);
      expect(by('preflight.firewalld').message).toMatch(/6443 and 10250/);
      expect(by('preflight.hostname')).toMatchObject({ severity: 'fail', observed: 'W01_old' });
    });
    test('proxy variables that would catch cluster traffic, and a NO_PROXY that covers it', () => {
      const proxy = (lines: string) =>
        run({
          w02: (facts) => {
            facts['diag-node'] += lines;
          },
        }).find((f) => f.check === 'preflight.proxy' && f.on === 'w02')!;
      const caught = proxy('https_proxy=http://proxy.example:3128\nNO_PROXY=10.96.0.0/12\n');
      expect(caught.severity).toBe('warn');
      expect(caught.fix).toBe(
        'add 10.244.0.0/16,192.168.1.0/24,192.168.2.0/24 to NO_PROXY and no_proxy in the SSH session on w02',
      );
      expect(proxy('HTTP_PROXY=http://p:3128\nno_proxy=10.0.0.0/8,192.168.0.0/16\n').severity).toBe('ok');
    });
    test('the conntrack table close to full', () => {
      const level = (count: string) =>
        run({ w02: sysctl('net.netfilter.nf_conntrack_count', count) }).find(
          (f) => f.check === 'preflight.conntrack' && f.on === 'w02',
        )!.severity;
      expect([level('1000'), level('200000'), level('250000')]).toEqual(['ok', 'warn', 'fail']);
    });
  });

  describe('probes', () => {
    test('each node pings the nodes it shares a LAN with; workers wait for an API endpoint that listens', () => {
      const all = reads();
      const plan = (name: string) => chooseProbes(healthyModel, all.find((r) => r.node.name === name)!, all);
      expect(plan('cp01').probes.map((p) => `${p.kind} ${p.address} ${p.target}`)).toEqual([
        'ping 192.168.1.1 router',
        'ping 192.168.1.12 w01',
      ]);
      expect(plan('w02').probes.map((p) => p.address)).toEqual(['192.168.2.1']);
      expect(plan('w02').findings.map((f) => `${f.severity} ${f.check}`)).toEqual(['warn ports.api-endpoint']);
      const listening = reads({
        cp01: (facts) => {
          facts['diag-listeners'] = 'LISTEN 0 4096 192.168.1.11:6443 0.0.0.0:* users:(("kube-apiserver",pid=9,fd=3))\n';
        },
      });
      const w02 = chooseProbes(healthyModel, listening[3], listening);
      expect(w02.probes.map((p) => `${p.kind} ${p.address}:${p.port ?? ''}`)).toEqual([
        'ping 192.168.2.1:',
        'tcp 192.168.1.11:6443',
      ]);
    });
    test('the pod-subnet gateway of another node is pinged once its CNI bridge exists', () => {
      const all = reads({
        w02: ipJson('ip-addr', (e) =>
          e.push({
            ifname: 'cni0',
            flags: ['UP'],
            addr_info: [{ family: 'inet', local: '10.244.2.1', prefixlen: 24 }],
          }),
        ),
      });
      const probes = chooseProbes(healthyModel, all[0], all).probes;
      expect(probes.find((p) => p.check === 'reachability.pod-gateway')).toMatchObject({
        address: '10.244.2.1',
        target: 'w02',
      });
      // The router is no Kubernetes node: it does not probe pod gateways.
      expect(
        chooseProbes(healthyModel, all[1], all).probes.filter((p) => p.check === 'reachability.pod-gateway'),
      ).toEqual([]);
    });
    test('results: a probe that did not answer is a fail naming both nodes; a cut-short run leaves no probe passed', () => {
      const all = reads();
      const { probes } = chooseProbes(healthyModel, all[0], all);
      const script = buildProbeScript(probes, '@@m@@');
      expect(script).toContain('ping -n -q -c 1 -W 1 192.168.1.12');
      const results = parseProbeOutput('@@m@@ probe 0 0\n@@m@@ probe 1 1\n@@m@@ probes-done\n', probes, '@@m@@');
      const findings = probeFindings(all[0], probes, results);
      expect(findings.map((f) => `${f.severity} ${f.message}`)).toEqual([
        'fail cp01: cannot ping 192.168.1.12 (w01 eth0 on LAN lan1) in 2 attempts of 1 s',
        'ok cp01: reaches router 192.168.1.1',
      ]);
      expect(findings[0].nodes).toEqual(['cp01', 'w01']);
      expect(
        probeFindings(all[0], probes, parseProbeOutput('', probes, '@@m@@')).every((f) => f.severity === 'fail'),
      ).toBe(true);
    });
  });

  describe('nodes that cannot be read', () => {
    test('an unreachable node is one fail naming it and its ssh settings; the others are still diagnosed', async () => {
      const report = await diagnoseCluster(healthyModel, {
        connector: async (node) => {
          if (node.name === 'router') throw new Error('ssh root@10.250.100.1:22: connect ETIMEDOUT');
          return {
            close: () => undefined,
            // Replays the recorded read (its sections in the fact script's format); probes get no answer.
            run: async (script: string) => {
              const marker = /echo '?(@@netstrap-[0-9a-f]+@@) fact /.exec(script)?.[1];
              if (!marker || script.includes(' probes-done')) return { stdout: '', stderr: '', code: 0 };
              const names = [...script.matchAll(/@@ fact ([^'\n]+)'?\n/g)].map((m) => m[1]);
              // Files are read in one section, `files`, whose command names every path: joined from theirs.
              const paths = /fact files'?\n\{ \S+ (.*); \}/.exec(script)?.[1].split(' ') ?? [];
              const output = (n: string) =>
                n === 'files'
                  ? joinFiles(paths.map((p) => recorded[node.name][fileFactSection(p)] ?? ''))
                  : (recorded[node.name][n] ?? '');
              const body = names.map((n) => `${marker} fact ${n}\n${output(n)}\n${marker} end\n`).join('');
              return { stdout: `${body}${marker} facts-done\n`, stderr: '', code: 0 };
            },
          };
        },
      });
      const router = report.nodes.find((n) => n.node === 'router')!;
      expect(router.findings).toEqual([expect.objectContaining({ check: 'diagnose.connect', severity: 'fail' })]);
      expect(router.findings[0].fix).toBe('check that router is up and nodes[1].ssh (root@10.250.100.1:22) reaches it');
      const cp01 = report.nodes.find((n) => n.node === 'cp01')!;
      expect(cp01.findings.find((f) => f.check === 'drift')!.severity).toBe('ok');
      // Its probes got no result: reported as such, not as passed.
      expect(cp01.findings.filter((f) => f.check === 'reachability.lan').map((f) => f.severity)).toEqual([
        'fail',
        'fail',
      ]);
      expect(report.summary.fail).toBeGreaterThan(0);
    });
  });

  describe('report', () => {
    test('JSON has exactly the documented shape; table and Markdown carry the same findings', () => {
      const { perNode, spanning } = checkReads(
        healthyModel,
        reads({
          w01: ipJson('ip-addr', (links) => {
            links.find((l) => l.ifname === 'eth0')!.mtu = 1400;
          }),
        }),
      );
      const nodes = healthyModel.cluster.nodes.map((n) => ({
        node: n.name,
        findings: perNode.get(n.name)!,
        roundTrips: 2,
        durationMs: 1,
      }));
      const report = {
        cluster: 'i14-diag',
        nodes,
        findings: spanning,
        summary: summarize([...nodes.flatMap((n) => n.findings), ...spanning]),
        durationMs: 1234,
      };
      const json = diagnoseJson(report) as any;
      expect(Object.keys(json)).toEqual(['cluster', 'nodes', 'findings', 'summary']);
      expect(Object.keys(json.nodes[0])).toEqual(['node', 'findings']);
      expect(Object.keys(json.summary)).toEqual(['ok', 'warn', 'fail']);
      for (const f of [...json.nodes.flatMap((n: any) => n.findings), ...json.findings]) {
        expect(
          Object.keys(f).every((k) =>
            ['check', 'severity', 'message', 'fix', 'observed', 'expected', 'nodes'].includes(k),
          ),
        ).toBe(true);
      }
      const mtu = json.findings.find((f: any) => f.check === 'addresses.mtu' && f.severity === 'fail');
      expect(mtu.nodes).toEqual(['cp01', 'router', 'w01']);
      const table = formatDiagnose(report, 'table');
      expect(table).toMatch(
        /^across nodes: \d+ ok, 0 warn, 1 fail\n {2}FAIL {2}addresses\.mtu {2}LAN lan1: MTUs differ/m,
      );
      expect(table).toContain('fix: w01 eth0: set nodes[2].interfaces[0].mtu: 1500');
      expect(table.trim().split('\n').pop()).toBe(
        `cluster i14-diag: 4 node(s) in 1.2 s: ${report.summary.ok} ok, 3 warn, 1 fail`,
      );
      expect(formatDiagnose(report, 'md')).toContain('| cp01, router, w01 | fail | `addresses.mtu` |');
    });
  });
});

describe('forwarding.accept-ra: the IPv6 trap (issue 21)', () => {
  const raDefault = { dst: 'default', gateway: 'fe80::1', dev: 'eth0', protocol: 'ra', metric: 1024, expires: 1650 };
  const conf =
    (lines: string[]): Edit =>
    (facts) => {
      // One section holds both families' main routes (ip -j route show table all).
      facts['ip-route'] = JSON.stringify([
        ...JSON.parse(facts['ip-route'] || '[]'),
        { dst: 'fd00:1::/64', dev: 'eth0', protocol: 'kernel', metric: 256 },
        raDefault,
      ]);
      facts['ipv6-ra-conf'] = lines.map((l) => `/proc/sys/net/ipv6/conf/${l}`).join('\n');
    };
  const trap = (lines: string[]) => run({ router: conf(lines) }).filter((f) => f.check === 'forwarding.accept-ra');

  test('forwarding on the interface with accept_ra 1: the RA-learnt default route will not be renewed', () => {
    expect(trap(['all/forwarding:1', 'eth0/forwarding:1', 'eth0/accept_ra:1'])).toEqual([
      {
        check: 'forwarding.accept-ra',
        severity: 'warn',
        on: 'router',
        message:
          'router: IPv6 forwarding is on (net.ipv6.conf.all.forwarding, net.ipv6.conf.eth0.forwarding) and accept_ra is 1 ' +
          'on eth0: eth0 ignores router advertisements, so default via fe80::1 dev eth0 proto ra metric 1024 (expires in ' +
          '1650 s) will not be renewed, a default route learnt from a router advertisement',
        fix: 'add sysctls: { net.ipv6.conf.eth0.accept_ra: 2 } to nodes[1] (router) and run `netstrap bootstrap`, or give it a static IPv6 default route',
        observed: 'accept_ra 1',
        expected: 'accept_ra 2',
      },
    ]);
  });

  test('forwarding on another interface: the next forwarding write deletes it', () => {
    expect(trap(['eth1/forwarding:1', 'eth0/forwarding:0', 'eth0/accept_ra:1'])[0].message).toMatch(
      /accept_ra is 1 on eth0: the next write of a forwarding key \(a reboot's sysctl, a bootstrap\) deletes default via fe80::1/,
    );
  });

  test('accept_ra 2 keeps it (ok); no forwarding, or no such route: nothing said', () => {
    expect(trap(['all/forwarding:1', 'eth0/forwarding:1', 'eth0/accept_ra:2']).map((f) => f.severity)).toEqual(['ok']);
    expect(trap(['all/forwarding:0', 'eth0/forwarding:0', 'default/forwarding:1', 'eth0/accept_ra:1'])).toEqual([]);
    expect(run().filter((f) => f.check === 'forwarding.accept-ra')).toEqual([]);
  });
});

describe('routes over IPv6 (issue 21): each family in its own table', () => {
  // w01 gets an IPv6 address and two IPv6 routes (a default of the same metric as none of IPv4's).
  const text = fs
    .readFileSync(fixture('i14-diagnose.yaml'), 'utf8')
    .replace('{ name: lan1, cidr: 192.168.1.0/24 }', "{ name: lan1, cidr: [192.168.1.0/24, 'fd00:1::/64'] }")
    .replace(
      'interfaces: [{ name: eth0, lan: lan1, addresses: [192.168.1.12/24] }]',
      "interfaces: [{ name: eth0, lan: lan1, addresses: [192.168.1.12/24, 'fd00:1::12/64'] }]",
    )
    .replace(
      '      - { to: 10.244.0.0/24, via: 192.168.1.11 }\n      - { to: 10.244.2.0/24, via: 192.168.1.1 }\n    cniConflists: true',
      "      - { to: 10.244.0.0/24, via: 192.168.1.11 }\n      - { to: 10.244.2.0/24, via: 192.168.1.1 }\n      - { to: default, via: 'fd00:1::1' }\n      - { to: 'fd00:2::/64', via: 'fd00:1::1' }\n    cniConflists: true",
    );
  const model = parseClusterText(text, 'i14-dual.yaml');
  const v6 =
    (routes: object[]): Edit =>
    (facts) => {
      facts['ip-route'] = JSON.stringify([
        ...JSON.parse(facts['ip-route'] || '[]'),
        { dst: 'fd00:1::/64', dev: 'eth0', protocol: 'kernel', metric: 256, pref: 'medium' },
        ...routes.map((r) => ({ metric: 1024, pref: 'medium', dev: 'eth0', ...r })),
      ]);
    };
  const present = [
    { dst: 'default', gateway: 'fd00:1::1' },
    { dst: 'fd00:2::/64', gateway: 'fd00:1::1' },
  ];
  const routeFindings = (edit: Edit) =>
    notOk(run({ w01: edit }, model as ClusterModel)).filter((f) => f.on === 'w01' && f.check.startsWith('routes.'));

  test('both IPv6 routes in the IPv6 table (metric 1024): nothing to say; IPv6 default is not an IPv4 one', () => {
    expect(routeFindings(v6(present))).toEqual([]);
  });

  test('a missing IPv6 route fails, naming it; an undeclared more specific one hijacks, with ip -6 route del', () => {
    const missing = routeFindings(v6([present[0]]));
    expect(missing.map((f) => [f.check, f.message])).toEqual([
      ['routes.missing', expect.stringContaining('no route to fd00:2::/64; expected fd00:2::/64 via fd00:1::1')],
    ]);
    const hijack = routeFindings(v6([...present, { dst: 'fd00:2::/80', gateway: 'fd00:1::99' }]));
    expect(hijack.map((f) => [f.check, f.fix])).toEqual([
      ['routes.hijack', expect.stringContaining('`ip -6 route del fd00:2::/80 metric 1024`')],
    ]);
  });

  test("another LAN's IPv6 range without a route: unreachable, naming the router's IPv6 address; an undeclared route to it: extra, with ip -6 route del", () => {
    // lan2 gets an IPv6 range and the router an IPv6 address on each LAN; w01 declares no IPv6 route at all.
    const reach = parseClusterText(
      text
        .replace('{ name: lan2, cidr: 192.168.2.0/24 }', "{ name: lan2, cidr: [192.168.2.0/24, 'fd00:2::/64'] }")
        .replace(
          '- { name: eth0, lan: lan1, addresses: [192.168.1.1/24] }',
          "- { name: eth0, lan: lan1, addresses: [192.168.1.1/24, 'fd00:1::1/64'] }",
        )
        .replace(
          '- { name: eth1, lan: lan2, addresses: [192.168.2.1/24] }',
          "- { name: eth1, lan: lan2, addresses: [192.168.2.1/24, 'fd00:2::1/64'] }",
        )
        .replace("      - { to: default, via: 'fd00:1::1' }\n      - { to: 'fd00:2::/64', via: 'fd00:1::1' }\n", ''),
      'i14-reach.yaml',
    ) as ClusterModel;
    const findings = (edit: Edit) =>
      notOk(run({ w01: edit }, reach)).filter((f) => f.on === 'w01' && f.check.startsWith('routes.'));
    expect(findings(v6([])).map((f) => [f.check, f.message, f.fix])).toEqual([
      [
        'routes.unreachable',
        'w01: no route to LAN lan2 (fd00:2::/64): traffic to it is dropped here',
        expect.stringContaining('add to nodes[2].routes: { to: fd00:2::/64, via: fd00:1::1 }'),
      ],
    ]);
    expect(findings(v6([{ dst: 'fd00:2::/64', gateway: 'fd00:1::99' }])).map((f) => [f.check, f.fix])).toEqual([
      ['routes.extra', expect.stringContaining('`ip -6 route del fd00:2::/64 metric 1024` on w01')],
    ]);
    // An IPv6 default route reaches it: nothing to say.
    expect(findings(v6([{ dst: 'default', gateway: 'fd00:1::1' }]))).toEqual([]);
  });
});
