/**
 * Issue 25, item 5: what was accepted though wrong, and found only at apply or never, is refused by `validate`
 * (exit 2, each with file, field and value, nothing touched). Every case runs through bin/netstrap.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { netstrapAsync } from '../host/lab-support';
import { netstrap } from '../support/lab';
import { tempDirs } from '../support/temp';

const tempDir = tempDirs();
const BASE = 'name: c\nnetwork: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }\n';
const LAN = 'lans: [{ name: lan1, cidr: 192.168.1.0/24 }]\n';
const ETH0 = 'interfaces: [{ name: eth0, lan: lan1, addresses: [192.168.1.11/24] }]';

/** Writes `text` as a cluster file of its own directory; returns its path. */
function clusterFile(text: string): string {
  const file = path.join(tempDir('netstrap-refusals-'), 'c.yaml');
  fs.writeFileSync(file, text);
  return file;
}

/** `netstrap validate`: its exit code and stderr lines without the file name in front. */
function validate(text: string): { status: number | null; lines: string[]; stdout: string } {
  const file = clusterFile(text);
  const run = netstrap(['validate', file]);
  return {
    status: run.status,
    lines: run.stderr
      .split('\n')
      .filter(Boolean)
      // The file part, with the line of the field when known (`file:LINE: `), is left out.
      .map((line) => line.replace(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\d+)?: `), '')),
    stdout: run.stdout,
  };
}

const cases: Array<{ what: string; text: string; line: string }> = [
  {
    what: 'a bridge whose address is in a LAN',
    text: `${BASE}${LAN}nodes:\n  - name: a\n    ssh: { host: 10.0.0.1 }\n    ${ETH0}\n    bridges: [{ name: br0, addresses: [192.168.1.50/24] }]\n`,
    line: 'nodes[0].bridges[0].addresses[0]: "192.168.1.50/24" is in LAN "lan1" 192.168.1.0/24: bridge "br0" has no port on that LAN, so node "a" would get a second connected route for it that leads nowhere; give the bridge a network of its own',
  },
  {
    what: "a bridge on part of an interface's network (no lans)",
    text: `${BASE}nodes:\n  - name: a\n    ssh: { host: 10.0.0.1 }\n    interfaces: [{ name: eth0, addresses: [172.16.0.2/24] }]\n    bridges: [{ name: br0, addresses: [172.16.0.129/25] }]\n`,
    line: 'nodes[0].bridges[0].addresses[0]: "172.16.0.129/25" is in the network of eth0 172.16.0.0/24: bridge "br0"',
  },
  {
    what: "a namespace address in a LAN, outside its bridge's network",
    text: `${BASE}${LAN}nodes:\n  - name: a\n    ssh: { host: 10.0.0.1 }\n    ${ETH0}\n    bridges: [{ name: br1, addresses: [10.10.0.1/24] }]\n    namespaces: [{ name: blue, veth: { hostSide: vb, bridge: br1, address: 192.168.1.60/24 } }]\n`,
    line: 'nodes[0].namespaces[0].veth.address: "192.168.1.60/24" is in LAN "lan1" 192.168.1.0/24 but outside every network of its bridge "br1": nothing on node "a" reaches it there; give the namespace an address of its bridge\'s network',
  },
  {
    what: 'ssh.host 0x0a.0.0.1 (hex, read as 10.0.0.1)',
    text: `${BASE}nodes: [{ name: a, ssh: { host: 0x0a.0.0.1 } }]\n`,
    line: 'nodes[0].ssh.host: looks like an IPv4 address but is not one in canonical form (four decimal numbers 0-255, no leading zeros): the resolver would read it as one, hex, octal and shortened forms included (got "0x0a.0.0.1")',
  },
  {
    what: 'ssh.host 010.0.0.1 (octal, read as 8.0.0.1), the same way',
    text: `${BASE}nodes: [{ name: a, ssh: { host: 010.0.0.1 } }]\n`,
    line: 'nodes[0].ssh.host: looks like an IPv4 address but is not one in canonical form (four decimal numbers 0-255, no leading zeros): the resolver would read it as one, hex, octal and shortened forms included (got "010.0.0.1")',
  },
  ...[
    ['a space', '/a b', '"/a b"'],
    ['a NUL', '/a\\0b', '"/a\\u0000b"'],
    ['a backtick', '/`id`', '"/`id`"'],
  ].map(([what, yaml, shown]) => ({
    what: `rewriteTarget with ${what} (it becomes an nginx annotation)`,
    text: `${BASE}kubernetes:\n  services: [{ name: s, ports: [{ port: 80 }] }]\n  ingresses: [{ name: i, rewriteTarget: "${yaml}", defaultBackend: { service: s, port: 80 } }]\n`,
    line: `kubernetes.ingresses[0].rewriteTarget: rewriteTarget (nginx.ingress.kubernetes.io/rewrite-target) ${shown} is refused by ingress-nginx's annotation validation`,
  })),
  {
    what: 'identityFile ""',
    text: `${BASE}nodes: [{ name: a, ssh: { host: 10.0.0.1, identityFile: "" } }]\n`,
    line: 'nodes[0].ssh.identityFile: must not be empty: leave identityFile out to use ssh-agent and the default keys (got "")',
  },
  {
    what: 'identityFile with a NUL',
    text: `${BASE}nodes: [{ name: a, ssh: { host: 10.0.0.1, identityFile: "keys/a\\0b" } }]\n`,
    line: 'nodes[0].ssh.identityFile: must not contain a NUL character: no file has such a name (got "keys/a\\u0000b")',
  },
];

describe('validate refuses what is wrong (issue 25 item 5)', () => {
  test.each(cases.map((c) => [c.what, c] as const))('%s', (_what, c) => {
    const run = validate(c.text);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.lines).toEqual([expect.stringContaining(c.line)]);
  });

  test('the same networks, each where it belongs, validate', () => {
    const run = validate(
      `${BASE}${LAN}nodes:\n  - name: a\n    ssh: { host: 10.0.0.1 }\n    ${ETH0}\n    bridges: [{ name: br1, addresses: [10.10.0.1/24] }]\n    namespaces: [{ name: blue, veth: { hostSide: vb, bridge: br1, address: 10.10.0.2/24 }, defaultRoute: 10.10.0.1 }]\n`,
    );
    expect([run.status, run.lines]).toEqual([0, []]);
  });
});

describe('ssh.identityFile is checked when the file is loaded, before any connection (issue 25 item 5)', () => {
  /** A TCP listener standing in for the nodes' sshd: it counts the connections it gets. */
  let server: net.Server;
  let connections = 0;
  beforeAll(async () => {
    server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('missing: validate warns (the key may live elsewhere); every command that connects refuses, exit 2, nothing connected', async () => {
    const { port } = server.address() as net.AddressInfo;
    const file = clusterFile(
      `${BASE}nodes:\n  - { name: a, ssh: { host: 127.0.0.1, port: ${port}, identityFile: keys/%h.key } }\n`,
    );
    const key = path.join(path.dirname(file), 'keys', '127.0.0.1.key');
    const check = netstrap(['validate', file]);
    expect([check.status, check.stderr]).toEqual([
      0,
      `warning: ${file}:4: nodes[0].ssh.identityFile: "keys/%h.key" (${key}) does not exist on this machine: plan, bootstrap, verify, reset and diagnose will refuse to start here (validate only warns: the file may be checked where the key is not)\n`,
    ]);
    for (const command of ['plan', 'bootstrap', 'verify', 'reset', 'diagnose']) {
      const run = await netstrapAsync([command, file, '--ssh-config', '/dev/null']);
      expect([command, run.status, run.stdout, run.stderr]).toEqual([
        command,
        2,
        '',
        `${file}:4: nodes[0].ssh.identityFile: "keys/%h.key" (${key}) does not exist: no node was connected; fix the path (a relative one is from the cluster file's directory) or remove identityFile to use ssh-agent and the default keys\n`,
      ]);
    }
    expect(connections).toBe(0);
    // Once the key is there, plan goes on to connect (and fails later, at the key exchange with a non-sshd).
    fs.mkdirSync(path.dirname(key));
    fs.writeFileSync(key, 'not a key\n', { mode: 0o600 });
    expect(netstrap(['validate', file])).toMatchObject({ status: 0, stderr: '' });
  });

  test('a directory is not a key', () => {
    const run = validate(`${BASE}nodes: [{ name: a, ssh: { host: 10.0.0.1, identityFile: / } }]\n`);
    expect([run.status, run.lines]).toEqual([
      0,
      [
        'warning: nodes[0].ssh.identityFile: "/" is not a regular file on this machine: plan, bootstrap, verify, reset and diagnose will refuse to start here (validate only warns: the file may be checked where the key is not)',
      ],
    ]);
  });
});
