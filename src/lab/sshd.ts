/**
 * The OpenSSH side of the lab: keys (ssh-keygen, ed25519, generated in parallel), each node's sshd_config, and the
 * client files (known_hosts, ssh_config) that let `ssh -F ssh_config <node>` connect with strict host-key checking.
 */
import * as fs from 'fs';
import * as net from 'net';
import { run } from './exec';
import { endpointText } from './state';

/** Generates an ed25519 key pair at `file` (private) and `file.pub`; returns the public key line. */
export async function generateKey(file: string, comment: string): Promise<string> {
  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return fs.readFileSync(`${file}.pub`, 'utf8').trim();
}

/** A node's sshd_config: only the lab's key, for root, on the node's SSH address (IPv4 or IPv6) only. */
export function sshdConfig(address: string, port: number): string {
  return [
    "# Written by netstrap lab: this node accepts only the lab's client key.",
    `ListenAddress ${endpointText(address, port)}`,
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'AuthorizedKeysFile .ssh/authorized_keys',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'UseDNS no',
    'PidFile none',
    'PrintMotd no',
    // Provisioners and tests open many connections at once.
    'MaxStartups 200',
    'MaxSessions 100',
    'AcceptEnv LANG LC_*',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n');
}

/** known_hosts line(s) for a node: its address (as `[addr]:port` when not 22) and its name. */
export function knownHostsLine(name: string, address: string, port: number, publicKey: string): string {
  const [type, key] = publicKey.split(/\s+/);
  const hosts = port === 22 ? [address, name] : [`[${address}]:${port}`, `[${name}]:${port}`];
  return `${hosts.join(',')} ${type} ${key}`;
}

/** The ssh_config Host block of a node, matched by its name and by its address. */
export function sshConfigBlock(
  node: { name: string; address: string; port: number },
  identityFile: string,
  knownHostsFile: string,
): string {
  return [
    `Host ${node.name} ${node.address}`,
    `  HostName ${node.address}`,
    `  Port ${node.port}`,
    '  User root',
    `  IdentityFile ${identityFile}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${knownHostsFile}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  CheckHostIP no',
    '  PasswordAuthentication no',
    '  BatchMode yes',
    '  ConnectTimeout 5',
    '',
  ].join('\n');
}

/**
 * Connects to address:port and reads the SSH identification line (`SSH-2.0-...`); resolves undefined when nothing
 * answers within timeoutMs. Only ever called with a lab node's address.
 */
export function sshBanner(address: string, port: number, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    let data = '';
    const done = (value: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const line = data.split('\r\n')[0];
      if (data.includes('\n')) done(line.startsWith('SSH-') ? line.trim() : undefined);
    });
    socket.on('error', () => done(undefined));
    socket.on('end', () => done(undefined));
  });
}
