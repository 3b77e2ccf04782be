/** known_hosts as OpenSSH writes it (hashed entries made by the real ssh-keygen -H), checked strictly. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  appendKnownHost,
  checkHostKey,
  hostKeyName,
  hostKeyNames,
  parseKnownHosts,
  patternsMatch,
  readKnownHosts,
} from '../../src/host/known-hosts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-kh-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function newKey(name: string): { line: string; blob: Buffer } {
  const file = path.join(dir, name);
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  const line = fs.readFileSync(`${file}.pub`, 'utf8').trim();
  return { line, blob: Buffer.from(line.split(' ')[1], 'base64') };
}

const keyA = newKey('a');
const keyB = newKey('b');
const [typeA, b64A] = keyA.line.split(' ');

test('plain, [host]:port, wildcard and negated patterns', () => {
  expect(hostKeyName('10.0.0.1', 22)).toBe('10.0.0.1');
  expect(hostKeyName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  expect(patternsMatch('node1,10.0.0.1', '10.0.0.1')).toBe(true);
  expect(patternsMatch('[10.0.0.1]:2222', '10.0.0.1')).toBe(false);
  expect(patternsMatch('10.0.0.*,!10.0.0.9', '10.0.0.4')).toBe(true);
  expect(patternsMatch('10.0.0.*,!10.0.0.9', '10.0.0.9')).toBe(false);
});

test('hashed entries written by ssh-keygen -H match their host and port, and nothing else', () => {
  const file = path.join(dir, 'hashed');
  fs.writeFileSync(file, `node1 ${typeA} ${b64A}\n[10.0.0.1]:2222 ${typeA} ${b64A}\n`);
  expect(spawnSync('ssh-keygen', ['-H', '-f', file]).status).toBe(0);
  const entries = readKnownHosts([file]);
  expect(entries.every((e) => e.patterns.startsWith('|1|'))).toBe(true);
  expect(checkHostKey(entries, ['node1'], keyA.blob).status).toBe('known');
  expect(checkHostKey(entries, ['[10.0.0.1]:2222'], keyA.blob).status).toBe('known');
  expect(checkHostKey(entries, ['10.0.0.1'], keyA.blob).status).toBe('unknown');
  expect(checkHostKey(entries, ['node1'], keyB.blob)).toEqual({ status: 'changed', knownTypes: ['ssh-ed25519'] });
});

test('a changed key is refused, a revoked key is refused, cert-authority lines are not host keys', () => {
  const entries = parseKnownHosts(
    [
      '# comment',
      '',
      `node1 ${typeA} ${b64A} comment`,
      `@revoked * ${keyB.line}`,
      `@cert-authority node2 ${typeA} ${b64A}`,
    ].join('\n'),
  );
  expect(checkHostKey(entries, ['node1'], keyA.blob).status).toBe('known');
  expect(checkHostKey(entries, ['node1'], keyB.blob).status).toBe('revoked');
  expect(checkHostKey(entries, ['node2'], keyA.blob).status).toBe('unknown');
});

test('accepted new keys are appended in a form OpenSSH reads back', () => {
  const file = path.join(dir, 'sub', 'known_hosts');
  appendKnownHost(file, '[10.0.0.7]:2222', keyA.blob);
  expect(checkHostKey(readKnownHosts([file]), ['[10.0.0.7]:2222'], keyA.blob).status).toBe('known');
  // ssh-keygen -F finds it, so the file stays valid for OpenSSH too.
  expect(spawnSync('ssh-keygen', ['-F', '[10.0.0.7]:2222', '-f', file], { encoding: 'utf8' }).stdout).toContain(b64A);
});

test('IPv6 hosts (issue 21): the bare address on port 22, [address]:port otherwise, as OpenSSH writes and hashes them', () => {
  expect(hostKeyName('fd00::1', 22)).toBe('fd00::1');
  expect(hostKeyName('fd00::1', 2222)).toBe('[fd00::1]:2222');
  // Written otherwise, the same address is also looked up in its canonical form.
  expect(hostKeyNames('FD00:0:0::1', 2222)).toEqual(['[FD00:0:0::1]:2222', '[fd00:0:0::1]:2222', '[fd00::1]:2222']);
  expect(hostKeyNames('fd00::1', 22)).toEqual(['fd00::1']);
  const file = path.join(dir, 'ipv6');
  fs.writeFileSync(file, `fd00::1 ${typeA} ${b64A}\n[fd00::2]:2222 ${typeA} ${b64A}\n`);
  // ssh-keygen (OpenSSH) finds both under the names netstrap looks up.
  for (const name of ['fd00::1', '[fd00::2]:2222'])
    expect(spawnSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' }).stdout).toContain(b64A);
  expect(spawnSync('ssh-keygen', ['-H', '-f', file]).status).toBe(0);
  const hashed = readKnownHosts([file]);
  expect(hashed.every((e) => e.patterns.startsWith('|1|'))).toBe(true);
  expect(checkHostKey(hashed, hostKeyNames('fd00::1', 22), keyA.blob).status).toBe('known');
  expect(checkHostKey(hashed, hostKeyNames('fd00:0::2', 2222), keyA.blob).status).toBe('known');
  expect(checkHostKey(hashed, hostKeyNames('fd00::2', 22), keyA.blob).status).toBe('unknown');
  expect(checkHostKey(hashed, hostKeyNames('fd00::1', 22), keyB.blob).status).toBe('changed');
  // A key accepted for an IPv6 host is recorded so that OpenSSH reads it back.
  const accepted = path.join(dir, 'ipv6-accepted');
  appendKnownHost(accepted, hostKeyNames('fd00::7', 2222)[0], keyA.blob);
  expect(spawnSync('ssh-keygen', ['-F', '[fd00::7]:2222', '-f', accepted], { encoding: 'utf8' }).stdout).toContain(
    b64A,
  );
});
