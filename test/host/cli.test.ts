/**
 * plan / bootstrap / verify on invalid input: exit 2, the error names file, field and value, and no connection is
 * made — checked with a TCP listener standing in for the node's sshd, which counts connections.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { netstrapAsync } from './lab-support';

let server: net.Server;
let port = 0;
let connections = 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-hostcli-'));
const pwned = path.join(dir, 'pwned');

beforeAll(async () => {
  // Accepts and hangs up at once: not an SSH server, just a witness of connection attempts.
  server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function clusterFile(name: string, node: string, extra = ''): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `name: cli
network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }
nodes:
  - name: n1
    ssh: { host: 127.0.0.1, port: ${port} }
${node}
${extra}`,
  );
  return file;
}

test('an interface name with shell metacharacters is rejected before any connection (exit 2)', async () => {
  const file = clusterFile('inject', `    interfaces: [{ name: "eth0;touch ${pwned}", addresses: [192.168.1.11/24] }]`);
  for (const command of ['plan', 'bootstrap', 'verify']) {
    const run = await netstrapAsync([command, file, '--connect-timeout', '1']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${file}:6: nodes[0].interfaces[0].name: must be a Linux interface name`);
    expect(run.stderr).toContain(`"eth0;touch ${pwned}"`);
  }
  expect(connections).toBe(0);
  expect(fs.existsSync(pwned)).toBe(false);
});

test('bad verify assertions, unknown --only nodes and bad flags are input errors (exit 2), no connection', async () => {
  const file = clusterFile(
    'checks',
    '    interfaces: []',
    `verify:
  - { from: n1/blue, ping: 192.168.1.1 }
  - { from: n9, tcp: "192.168.1.1:99999" }
  - { from: n1 }`,
  );
  const run = await netstrapAsync(['verify', file]);
  expect(run.status).toBe(2);
  expect(run.stderr).toContain(
    `${file}:8: verify[0].from: node "n1" declares no namespace "blue", and runs no pods (needs cni.plugin bridge and role control-plane or worker) (got "n1/blue")`,
  );
  expect(run.stderr).toContain(`${file}:9: verify[1].from: no node named "n9"`);
  expect(run.stderr).toContain(
    `${file}:9: verify[1].tcp: must be TARGET:port with an IPv4 address, a node or node/namespace and a port 1-65535 (got "192.168.1.1:99999")`,
  );
  expect(run.stderr).toContain(`${file}:10: verify[2]: needs exactly one of ping and tcp`);

  const good = clusterFile('good', '    interfaces: []');
  const only = await netstrapAsync(['bootstrap', good, '--only', 'n1,n7']);
  expect(only.status).toBe(2);
  expect(only.stderr).toContain('netstrap: only: (--only) no node named "n7"');
  const flag = await netstrapAsync(['bootstrap', good, '--concurrency', 'lots']);
  expect(flag.status).toBe(2);
  expect(flag.stderr).toContain('--concurrency must be a positive number (got "lots")');
  expect(connections).toBe(0);
});

test('a valid file does connect (the witness works): a host that does not speak SSH is unreachable, exit 1', async () => {
  const file = clusterFile('valid', '    interfaces: []');
  const key = path.join(dir, 'id_ed25519');
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const run = await netstrapAsync(['bootstrap', file, '--connect-timeout', '2', '--identity', key]);
  expect(connections).toBeGreaterThanOrEqual(1);
  expect(run.status).toBe(1);
  expect(run.stdout).toMatch(/^n1\s+unreachable\s+0\s+0/m);
});
