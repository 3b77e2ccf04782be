/**
 * `netstrap graph`: DOT, Mermaid and SVG of a cluster file; bad input exits 2. A closed stdout: closed-stdout.test.ts;
 * the SVG in a browser: graph-browser.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runCaptured } from '../../src/cli/main';
import { fixture } from '../support/lab';
import { tempDirs } from '../support/temp';

const tempDir = tempDirs();

test('dot: LANs, nodes with their interfaces and addresses, and an edge from each interface to its LAN', async () => {
  const { code, stdout, stderr } = await runCaptured(['graph', 'hosts/example.yaml', '--format', 'dot']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toMatch(/^graph "example" \{\n/);
  expect(stdout).toContain('label="cluster example: pods 10.244.0.0/16, services 10.96.0.0/12, CNI weave"');
  expect(stdout).toContain(
    '"lan/lan1" [shape=ellipse, style=filled, fillcolor="#dbeafe", label="lan1\\n192.168.1.0/24"]',
  );
  expect(stdout).toContain('<b>router</b>');
  expect(stdout).toContain('port="if1">eth1 192.168.2.1/24</td>');
  // node01 left of lan1, lan1 left of the router, the router left of lan2, lan2 left of node02.
  expect(stdout).toContain('"node/node01":if0 -- "lan/lan1"');
  expect(stdout).toContain('"lan/lan1" -- "node/router":if0');
  expect(stdout).toContain('"node/router":if1 -- "lan/lan2"');
  expect(stdout).toContain('"lan/lan2" -- "node/node02":if0');
});

test('mermaid: a flowchart with the namespaces of the bridge lab inside their node', async () => {
  const { code, stdout } = await runCaptured(['graph', fixture('scenario-bridge.yaml'), '--format', 'mermaid']);
  expect(code).toBe(0);
  const lines = stdout.trimEnd().split('\n');
  expect(lines.slice(0, 4)).toEqual([
    '---',
    'title: "cluster scenbridge: pods 10.244.0.0/16, services 10.96.0.0/12, CNI bridge"',
    '---',
    'flowchart LR',
  ]);
  expect(lines).toContain('  subgraph g0["node01"]');
  expect(lines).toContainEqual(
    expect.stringMatching(
      /^ {4}n\d+\[\["netns red<br\/>veth-red 192\.168\.15\.1\/24<br\/>default via 192\.168\.15\.5"\]\]$/,
    ),
  );
  expect(lines).toContainEqual(expect.stringMatching(/^ {2}n\d+ ---\|"veth veth-blue-br"\| n\d+$/));
  expect(stdout).toContain('pods 10.244.1.0/24');
});

test('svg (the default) is drawn in-process, with every node name as text; -o writes it to a file', async () => {
  const out = path.join(tempDir('netstrap-graph-'), 'example.svg');
  const { code, stdout, stderr } = await runCaptured(['graph', 'hosts/example.yaml', '-o', out]);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toBe(`${out}: svg of cluster example: 2 LANs, 3 nodes\n`);
  const svg = fs.readFileSync(out, 'utf8');
  expect(svg).toMatch(/<svg width="\d+pt" height="\d+pt"/);
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  expect(texts).toEqual(expect.arrayContaining(['node01', 'router', 'node02', 'lan1', '192.168.2.0/24']));
});

test('--netpol adds the workloads and the allowed connections; a pair allowed both ways is one two-headed edge', async () => {
  const { code, stdout } = await runCaptured(['graph', fixture('netpol-cluster.yaml'), '--netpol', '--format', 'dot']);
  expect(code).toBe(0);
  expect(stdout).toContain('graph [label="namespace shop", style="rounded", color="#0891b2"]');
  expect(stdout).toContain(
    '"workload/shop/web" -- "workload/shop/api" [dir=forward, color="#0891b2", fontcolor="#0e7490", label="TCP 9000"]',
  );
  expect(stdout).toMatch(/"workload\/ops\/debug" -- "workload\/ops\/monitor" \[dir=both/);
  expect(stdout).not.toMatch(/-- "workload\/shop\/web" \[dir=forward/);
});

test('bad input exits 2 naming file, field and value, and writes nothing', async () => {
  const dir = tempDir('netstrap-graph-');
  const bad = path.join(dir, 'bad.yaml');
  fs.writeFileSync(
    bad,
    'name: bad\nnetwork: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }\nlans: [{ name: a, cidr: 192.168.1.0/33 }]\n',
  );
  const out = path.join(dir, 'out.svg');
  const run = await runCaptured(['graph', bad, '-o', out]);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toBe(
    `${bad}:3: lans[0].cidr: invalid CIDR "192.168.1.0/33": prefix length 33 is out of range 0-32\n`,
  );
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(fs.existsSync(out)).toBe(false);

  const format = await runCaptured(['graph', 'hosts/example.yaml', '--format', 'png']);
  expect(format.code).toBe(2);
  expect(format.stderr).toContain("argument 'png' is invalid. Allowed choices are svg, dot, mermaid.");

  const missing = await runCaptured(['graph', path.join(dir, 'nope.yaml')]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(
    new RegExp(`^${path.join(dir, 'nope\\.yaml')}: .*cannot read the cluster file: ENOENT`),
  );

  const unwritable = await runCaptured([
    'graph',
    'hosts/example.yaml',
    '--format',
    'dot',
    '-o',
    path.join(dir, 'no', 'x.dot'),
  ]);
  expect(unwritable.code).toBe(2);
  expect(unwritable.stderr).toBe(
    `netstrap graph: output: cannot write "${path.join(dir, 'no', 'x.dot')}": ENOENT: no such file or directory, open '${path.join(dir, 'no', 'x.dot')}'\n`,
  );
});
