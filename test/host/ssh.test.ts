/** Host resolution as the OpenSSH client does it, from a real ssh_config file. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadSshConfig, parseHostSpec, resolveHost } from '../../src/host/ssh';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-sshcfg-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const configFile = path.join(dir, 'ssh_config');
fs.writeFileSync(
  configFile,
  `
Host bastion
  HostName 10.1.0.1
  User jump
  Port 2200

Host web1 10.2.0.11
  HostName 10.2.0.11
  User admin
  Port 2222
  IdentityFile ~/.ssh/web_key
  UserKnownHostsFile ${dir}/kh1 ${dir}/kh2
  ProxyJump bastion
  StrictHostKeyChecking accept-new

Host *
  IdentityFile %d/.ssh/fallback
`,
);
const config = loadSshConfig(configFile);

test('an alias supplies HostName, Port, User, keys, known_hosts files, host-key policy and jump host', () => {
  const r = resolveHost({ host: 'web1', port: 22, user: 'root' }, {}, config);
  expect(r).toMatchObject({ alias: 'web1', host: '10.2.0.11', port: 2222, user: 'admin', acceptNew: true });
  expect(r.identityFiles).toEqual([path.join(os.homedir(), '.ssh/web_key'), path.join(os.homedir(), '.ssh/fallback')]);
  expect(r.knownHostsFiles).toEqual([`${dir}/kh1`, `${dir}/kh2`]);
  expect(r.jumps).toHaveLength(1);
  expect(r.jumps[0]).toMatchObject({ alias: 'bastion', host: '10.1.0.1', port: 2200, user: 'jump', acceptNew: false });
});

test("command-line flags win: --identity first, --known-hosts replaces the config's files", () => {
  const r = resolveHost({ host: 'web1' }, { identityFile: '/k/id', knownHostsFile: '/k/known' }, config);
  expect(r.identityFiles[0]).toBe('/k/id');
  expect(r.knownHostsFiles).toEqual(['/k/known']);
});

test("hosts not in the config keep the cluster file's values; ssh.jumpHost and identityFile are honoured", () => {
  const r = resolveHost(
    { host: '10.9.9.9', port: 2022, user: 'ops', identityFile: 'keys/id', jumpHost: 'me@bastion:2300' },
    { baseDir: '/srv/cluster' },
    config,
  );
  expect(r).toMatchObject({ host: '10.9.9.9', port: 2022, user: 'ops', acceptNew: false });
  expect(r.identityFiles[0]).toBe('/srv/cluster/keys/id');
  expect(r.jumps[0]).toMatchObject({ host: '10.1.0.1', user: 'me', port: 2300 });
  expect(r.knownHostsFiles).toEqual([path.join(os.homedir(), '.ssh', 'known_hosts')]);
});

test('jump host specs', () => {
  expect(parseHostSpec('bastion')).toEqual({ host: 'bastion', user: undefined, port: undefined });
  expect(parseHostSpec('ops@10.0.0.1:2201')).toEqual({ host: '10.0.0.1', user: 'ops', port: 2201 });
  expect(() => parseHostSpec('a b')).toThrow(/invalid jump host/);
});
