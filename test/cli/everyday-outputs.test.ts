/**
 * Issue 24, the smaller points of item 7, through the real CLI: netpol matrix without --port and with named columns,
 * validate's counts, trace to a node's own address, an unknown node, the reverse DNAT in a reply, a DNAT to an
 * address no node holds, and stable stand-in pod addresses.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadClusterFile } from '../../src/model/load';
import { trace } from '../../src/model/trace';
import { fixture, netstrap } from '../support/lab';

const FILE = fixture('i24-outputs.yaml');

test('netpol matrix without --port: every port of every protocol, names as column headers', () => {
  const run = netstrap(['netpol', 'matrix', fixture('netpol-cluster.yaml')]);
  expect(run.status).toBe(0);
  const lines = run.stdout.split('\n');
  expect(lines[0].split(/\s+/)).toEqual([
    'any',
    'port',
    'kube-system/coredns',
    'ops/debug',
    'ops/monitor',
    'shop/api',
    'shop/db',
    'shop/web',
  ]);
  // shop/web may reach shop/api on some ports only (~); shop/db reaches nothing (X); ops/debug reaches shop/db on all.
  expect(lines.find((l) => l.startsWith('shop/web'))!.split(/\s+/)).toEqual(['shop/web', '.', '.', '.', '~', 'X', 'X']);
  expect(
    lines
      .find((l) => l.startsWith('shop/db'))!
      .split(/\s+/)
      .slice(1),
  ).toEqual(['X', 'X', 'X', 'X', 'X', 'X']);
  expect(run.stdout).toContain('. every connection allowed, ~ some ports');
  const json = JSON.parse(netstrap(['netpol', 'matrix', fixture('netpol-cluster.yaml'), '--json']).stdout);
  expect(json.port).toBe('any');
  expect(json.matrix['shop/db']['shop/web']).toBe('No Connections');
  expect(json.matrix['ops/debug']['shop/db']).toBe('All Connections');
  expect(json.matrix['shop/web']['shop/api']).toMatch(/^TCP \d/);
  // With --port the JSON is as before.
  const port = JSON.parse(
    netstrap(['netpol', 'matrix', fixture('netpol-cluster.yaml'), '--port', '80', '--json']).stdout,
  );
  expect(port.matrix['shop/db']['shop/web']).toBe(false);
});

test('validate counts in words (1 ingress, not 1 ingresses) and warns about a DNAT to an address no node holds', () => {
  const run = netstrap(['validate', FILE]);
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('; 0 services, 0 ingresses, 0 network policies; 3 nodes');
  expect(run.stderr).toContain(
    `warning: ${FILE}:16: nodes[1].nat.portForwards[1].to: no node, bridge, namespace or pod subnet of the file holds 192.168.99.5`,
  );
  // The DNAT to n2 is not warned about.
  expect(run.stderr).not.toContain('portForwards[0]');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'i24-outputs-'));
  const one = path.join(dir, 'one.yaml');
  fs.writeFileSync(
    one,
    [
      'name: one',
      'network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }',
      'kubernetes:',
      '  services: [{ name: web, selector: { app: web }, ports: [{ port: 80 }] }]',
      '  ingresses: [{ name: web, rules: [{ paths: [{ backend: { service: web, port: 80 } }] }] }]',
      '  networkPolicies: [{ name: deny }]',
      'nodes: [{ name: n1, ssh: { host: 10.250.210.11 }, interfaces: [{ name: eth0, addresses: [192.168.1.11/24] }] }]',
      'verify: [{ from: n1, ping: 192.168.1.11 }]',
      '',
    ].join('\n'),
  );
  try {
    const run = netstrap(['validate', one]);
    expect(run.stdout).toContain('; 1 service, 1 ingress, 1 network policy; 1 node\n');
    expect(run.stdout).toContain('verify: 1 check traced');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('trace to the node’s own address: delivered locally, no stack trace', () => {
  const run = netstrap(['trace', FILE, 'n1', '192.168.10.11']);
  expect(run.stderr).not.toContain('TypeError');
  expect(run.status).toBe(0);
  expect(run.stdout).toBe(
    'trace n1 → 192.168.10.11 icmp\ndelivered: delivered to n1 (192.168.10.11): its own address, the packet never leaves n1\n',
  );
});

test('an unknown node is named once, with the names that exist', () => {
  const run = netstrap(['trace', FILE, 'n1', 'w3']);
  expect(run.status).toBe(2);
  expect(run.stderr.split('\n')).toContain('netstrap trace: TO: no node named "w3"; the nodes are n1, r1, n2');
  expect(run.stderr).not.toContain('(got "w3")');
});

test("trace's DNAT reply shows the reverse translation", () => {
  const run = netstrap(['trace', FILE, 'n1', '192.168.10.1:8080']);
  expect(run.status).toBe(0);
  expect(run.stdout).toContain(
    'r1: DNAT tcp/8080 → 192.168.20.11:80: destination 192.168.10.1:8080 → 192.168.20.11:80',
  );
  expect(run.stdout).toContain(
    '  reply:\n  1. n2: route 192.168.10.0/24 via 192.168.20.1 dev eth0 (derived: LAN a via router r1)\n  2. r1: conntrack: reverses the DNAT: source 192.168.20.11:80 → 192.168.10.1:8080\n',
  );
});

test('a stand-in pod address depends on the pod, not on the order or the other end of the trace', () => {
  const { cluster } = loadClusterFile(FILE);
  const standIn = (from: string, to: string, which: string) => {
    const [fn, fp] = from.split('/');
    const [tn, tp] = to.split('/');
    const result = trace(cluster, {
      from: { kind: 'pod', node: fn, pod: fp },
      to: { kind: 'pod', node: tn, pod: tp },
      protocol: 'icmp',
    });
    return result.podStandIns.find((note) => note.startsWith(`${which} = `));
  };
  const a = standIn('n1/a', 'n2/b', 'n1/a');
  expect(a).toMatch(/^n1\/a = 10\.244\.0\.\d+ \(stand-in in pod subnet 10\.244\.0\.0\/24\)$/);
  expect(standIn('n1/c', 'n1/a', 'n1/a')).toBe(a);
  expect(standIn('n1/a', 'n1/zz', 'n1/a')).toBe(a);
  // Two pods of one node never share a stand-in.
  const both = trace(cluster, {
    from: { kind: 'pod', node: 'n1', pod: 'a' },
    to: { kind: 'pod', node: 'n1', pod: 'b' },
    protocol: 'icmp',
  }).podStandIns.map((note) => note.split(' ')[2]);
  expect(new Set(both).size).toBe(2);
});
