/**
 * The SSH transport: one ssh2 connection per host (optionally through jump hosts), scripts run over it one exec
 * channel — one round trip — at a time.
 *
 * Resolution follows the OpenSSH client: the node's ssh.host may be an alias in an ssh_config file (--ssh-config,
 * else ~/.ssh/config) that supplies HostName, Port, User, IdentityFile, UserKnownHostsFile, ProxyJump,
 * StrictHostKeyChecking and HostKeyAlias; those win over the cluster file's ssh.port/ssh.user. Authentication
 * tries --identity, then the node's ssh.identityFile, then the config's IdentityFile(s), then ssh-agent
 * (SSH_AUTH_SOCK), then ~/.ssh/id_ed25519, id_ecdsa, id_rsa when no key was named. Host keys are checked
 * against known_hosts strictly (see known-hosts.ts).
 *
 * Scripts are sent on stdin to `sh -s` as one brace group (wholeScript): the shell reads the whole script first, so
 * no command inside it can swallow the rest of the script by reading stdin, and there is no argument-length limit.
 * For a user other than root the shell runs under `sudo -n` (password-less sudo is required; with a password
 * sudo fails at once instead of hanging). SSH_CONNECTION (client address and port, server address and port) is
 * passed to that shell as an argument, read before sudo, which clears it: the lock-out guard needs it.
 *
 * Timeouts are hard: when one expires the sockets are destroyed, never left waiting for the peer's FIN (a
 * black-holed peer would keep the process alive for minutes). A session that ends without an exit status is a
 * lost connection (RunError 'lost'), told apart from a script that failed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client, ClientChannel, ConnectConfig, utils } from 'ssh2';
import SSHConfig from 'ssh-config';
import type { ClusterNode } from '../model/schema';
import { expandSshPath, identityFilePath } from '../model/ssh-identity';
import { appendKnownHost, checkHostKey, hostKeyNames, knownKeyTypes, readKnownHosts } from './known-hosts';
import { DEFAULT_CONNECT_TIMEOUT_MS, SSH_KEEPALIVE_INTERVAL_MS } from './defaults';

export interface SshOptions {
  /** OpenSSH client config resolving host aliases. @default ~/.ssh/config when it exists */
  readonly sshConfigFile?: string;
  /** Private key tried first for every host. @default none */
  readonly identityFile?: string;
  /** known_hosts file, read and (with acceptNewHostKeys) appended to. @default config's UserKnownHostsFile, else ~/.ssh/known_hosts */
  readonly knownHostsFile?: string;
  /** Accept and record keys of hosts not yet in known_hosts (a changed key is refused regardless). @default false */
  readonly acceptNewHostKeys?: boolean;
  /** Time allowed for TCP connect + SSH handshake + authentication, per hop. @default 10000 ms */
  readonly connectTimeoutMs?: number;
  /** Directory that relative ssh.identityFile paths of the cluster file are relative to. @default process.cwd() */
  readonly baseDir?: string;
}

/** Output of one script run. */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status; null when the remote side ended without one (killed by a signal). */
  readonly code: number | null;
}

/** A run that ended without an exit status: it timed out, or the connection was lost. Keeps what arrived. */
export class RunError extends Error {
  constructor(
    readonly reason: 'timeout' | 'lost',
    message: string,
    /** Output received before the end. */
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'RunError';
  }
}

/** An open connection to one host. Each run() is one round trip. */
export interface Transport {
  run(script: string, timeoutMs: number): Promise<RunResult>;
  close(): void;
}

/** Opens a transport to a node. The real one is sshConnector; tests may wrap it. */
export type Connector = (node: ClusterNode, options: SshOptions) => Promise<Transport>;

/** A host to connect to, after ssh_config resolution. */
export interface ResolvedHost {
  readonly alias: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly identityFiles: ReadonlyArray<string>;
  readonly knownHostsFiles: ReadonlyArray<string>;
  readonly hostKeyAlias?: string;
  readonly acceptNew: boolean;
  /** Jump hosts to go through, outermost first. */
  readonly jumps: ReadonlyArray<ResolvedHost>;
}

function configValues(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((v) => configValues(v));
  return String(value)
    .split(/\s+/)
    .filter((v) => v !== '');
}

/**
 * A parsed ssh_config, as much of ssh-config's class as is used here. Declared structurally so that netstrap's
 * published declarations do not import ssh-config, whose ESM-only types break CommonJS consumers (node16).
 */
export interface SshConfigFile {
  compute(host: string): unknown;
}

/** Loads an ssh_config file (an explicitly named one must exist; the default ~/.ssh/config may not). */
export function loadSshConfig(file: string | undefined): SshConfigFile | undefined {
  const chosen = file ?? path.join(os.homedir(), '.ssh', 'config');
  if (file === undefined && !fs.existsSync(chosen)) return undefined;
  return SSHConfig.parse(fs.readFileSync(chosen, 'utf8'));
}

/** Parses `[user@]host[:port]` (a jump host spec). */
export function parseHostSpec(spec: string): { host: string; user?: string; port?: number } {
  const match = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(spec.trim());
  if (!match) throw new Error(`invalid jump host ${JSON.stringify(spec)} (expected [user@]host[:port])`);
  return { user: match[1], host: match[2].replace(/^\[|\]$/g, ''), port: match[3] ? Number(match[3]) : undefined };
}

/** Resolves a host the way `ssh` would: alias → HostName, Port, User, keys, known_hosts, jump hosts. */
export function resolveHost(
  spec: { host: string; port?: number; user?: string; identityFile?: string; jumpHost?: string },
  options: SshOptions,
  config: SshConfigFile | undefined,
  depth = 0,
): ResolvedHost {
  if (depth > 8) throw new Error(`jump host chain of ${spec.host} is too long (a ProxyJump loop?)`);
  const computed = (config?.compute(spec.host) ?? {}) as Record<string, unknown>;
  const host = configValues(computed.HostName)[0] ?? spec.host;
  const port = Number(configValues(computed.Port)[0] ?? spec.port ?? 22);
  const user = configValues(computed.User)[0] ?? spec.user ?? os.userInfo().username;
  const identityFiles = [
    ...(options.identityFile ? [options.identityFile] : []),
    ...(spec.identityFile
      ? [identityFilePath(spec.identityFile, { host, user, port }, options.baseDir ?? process.cwd())]
      : []),
    ...configValues(computed.IdentityFile).map((f) => expandSshPath(f, host, user, port)),
  ];
  const knownHostsFiles = options.knownHostsFile
    ? [options.knownHostsFile]
    : configValues(computed.UserKnownHostsFile).map((f) => expandSshPath(f, host, user, port));
  if (knownHostsFiles.length === 0) knownHostsFiles.push(path.join(os.homedir(), '.ssh', 'known_hosts'));
  const strict = (configValues(computed.StrictHostKeyChecking)[0] ?? 'yes').toLowerCase();
  const jumpSpecs = spec.jumpHost
    ? [spec.jumpHost]
    : configValues(computed.ProxyJump)
        .join(',')
        .split(',')
        .filter((j) => j !== '' && j !== 'none');
  const jumps = jumpSpecs.flatMap((jump) => {
    const parsed = parseHostSpec(jump);
    const resolved = resolveHost(
      { host: parsed.host, port: parsed.port, user: parsed.user },
      options,
      config,
      depth + 1,
    );
    // As with `ssh -J user@host:port`, a user or port written in the jump spec wins over the config.
    return [
      ...resolved.jumps,
      { ...resolved, user: parsed.user ?? resolved.user, port: parsed.port ?? resolved.port, jumps: [] },
    ];
  });
  return {
    alias: spec.host,
    host,
    port,
    user,
    identityFiles,
    knownHostsFiles,
    hostKeyAlias: configValues(computed.HostKeyAlias)[0],
    // StrictHostKeyChecking accept-new / no / off from an ssh_config means the same as --accept-new-host-keys.
    acceptNew: options.acceptNewHostKeys === true || ['accept-new', 'no', 'off'].includes(strict),
    jumps,
  };
}

/** ssh2 authentication attempts for a host, in order. */
function authMethods(target: ResolvedHost): NonNullable<ConnectConfig['authHandler']> {
  const methods: Array<Record<string, unknown>> = [];
  const seen = new Set<string>();
  const addKey = (file: string, required: boolean) => {
    if (seen.has(file)) return;
    seen.add(file);
    let text: Buffer;
    try {
      text = fs.readFileSync(file);
    } catch (error) {
      if (required) throw new Error(`cannot read identity file ${file}: ${(error as Error).message}`);
      return;
    }
    const key = utils.parseKey(text);
    if (key instanceof Error) {
      if (required)
        throw new Error(`cannot use identity file ${file}: ${key.message} (encrypted keys: load them into ssh-agent)`);
      return;
    }
    methods.push({ type: 'publickey', username: target.user, key: text });
  };
  for (const file of target.identityFiles) addKey(file, true);
  if (process.env.SSH_AUTH_SOCK)
    methods.push({ type: 'agent', username: target.user, agent: process.env.SSH_AUTH_SOCK });
  if (target.identityFiles.length === 0) {
    for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) addKey(path.join(os.homedir(), '.ssh', name), false);
  }
  if (methods.length === 0)
    throw new Error(`no way to authenticate as ${target.user}@${target.alias}: no identity file and no ssh-agent`);
  return methods as unknown as NonNullable<ConnectConfig['authHandler']>;
}

const PREFERRED_HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/** Opens one SSH hop (over `sock` when going through a jump host). Rejects with a message naming the host. */
function openHop(target: ResolvedHost, options: SshOptions, sock?: ClientChannel): Promise<Client> {
  const names = hostKeyNames(target.hostKeyAlias ?? target.host, target.port);
  const entries = readKnownHosts(target.knownHostsFiles);
  const preferred = knownKeyTypes(entries, names).flatMap((type) => PREFERRED_HOST_KEY_ALGORITHMS[type] ?? [type]);
  let refusal: string | undefined;
  const hostVerifier = (blob: Buffer): boolean => {
    const verdict = checkHostKey(entries, names, blob);
    if (verdict.status === 'known') return true;
    if (verdict.status === 'unknown' && target.acceptNew) {
      appendKnownHost(target.knownHostsFiles[0], names[0], blob);
      return true;
    }
    refusal =
      verdict.status === 'unknown'
        ? `host key of ${names[0]} is not in ${target.knownHostsFiles.join(', ')} (add it, or pass --accept-new-host-keys)`
        : verdict.status === 'changed'
          ? `HOST KEY CHANGED for ${names[0]}: it is not the ${verdict.knownTypes.join('/')} key in ${target.knownHostsFiles.join(', ')}; refused (possible man-in-the-middle; remove the old key if the change is expected)`
          : `host key of ${names[0]} is marked @revoked; refused`;
    return false;
  };
  const auth = authMethods(target);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      client.destroy();
      // An IPv6 address in brackets before its port, as ssh writes it: root@[fd00::1]:22.
      const hostPort = (host: string) => `${host.includes(':') ? `[${host}]` : host}:${target.port}`;
      const where = `${target.user}@${target.alias !== target.host ? `${target.alias} (${hostPort(target.host)})` : hostPort(target.alias)}`;
      reject(new Error(`ssh ${where}: ${refusal ?? error.message}`));
    };
    client.once('ready', () => {
      settled = true;
      resolve(client);
    });
    client.on('error', fail);
    client.once('close', () => fail(new Error('connection closed during the handshake')));
    client.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      sock,
      readyTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      hostVerifier,
      authHandler: auth,
      keepaliveInterval: SSH_KEEPALIVE_INTERVAL_MS,
      algorithms: preferred.length > 0 ? { serverHostKey: { prepend: preferred } as never } : undefined,
    });
  });
}

function forward(client: Client, target: ResolvedHost, timeoutMs: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `jump host cannot reach ${target.host}:${target.port}: timed out after ${Math.round(timeoutMs / 1000)} s`,
          ),
        ),
      timeoutMs,
    );
    client.forwardOut('127.0.0.1', 0, target.host, target.port, (error, stream) => {
      clearTimeout(timer);
      if (error) reject(new Error(`jump host cannot reach ${target.host}:${target.port}: ${error.message}`));
      else resolve(stream);
    });
  });
}

/** Time a closed connection gets to say goodbye before its socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

/** Ends connections politely, and destroys their sockets if they are not closed after CLOSE_GRACE_MS. */
function closeClients(clients: ReadonlyArray<Client>): void {
  for (const client of [...clients].reverse()) client.end();
  // Unref'd: it never keeps the process alive by itself, only a socket that is still open does.
  setTimeout(() => {
    for (const client of clients) client.destroy();
  }, CLOSE_GRACE_MS).unref();
}

/** Destroys the sockets at once (a timeout: the peer may never answer). */
function destroyClients(clients: ReadonlyArray<Client>): void {
  for (const client of [...clients].reverse()) client.destroy();
}

/** Connects to a resolved host through its jump hosts. */
export async function connectResolved(target: ResolvedHost, options: SshOptions): Promise<Transport> {
  const clients: Client[] = [];
  try {
    let sock: ClientChannel | undefined;
    for (const hop of [...target.jumps, target]) {
      const client = await openHop(hop, options, sock);
      clients.push(client);
      const next = clients.length < target.jumps.length ? target.jumps[clients.length] : target;
      if (hop !== target) sock = await forward(client, next, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    }
  } catch (error) {
    destroyClients(clients);
    throw error;
  }
  const client = clients[clients.length - 1];
  const runner = target.user === 'root' ? 'sh' : 'sudo -n sh';
  const command = `${runner} -s "$SSH_CONNECTION"`;
  return {
    run: (script, timeoutMs) =>
      runScript(client, command, wholeScript(script), timeoutMs, () => destroyClients(clients)),
    close: () => closeClients(clients),
  };
}

/**
 * The script as the remote shell reads it on stdin (`sh -s`): one brace group, which the shell parses to its end
 * before running any of it, with stdin from /dev/null, so no command can read the rest of the script; a script cut
 * short in transit is a syntax error and runs nothing. (`eval "$(cat)"` did the same at the price of two more
 * processes per round trip.)
 */
export function wholeScript(script: string): string {
  return `export SSH_CONNECTION="$1"\n{\n${script.endsWith('\n') ? script : `${script}\n`}} </dev/null\n`;
}

function runScript(
  client: Client,
  command: string,
  script: string,
  timeoutMs: number,
  destroy: () => void,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      client.removeListener('close', onClose);
      return true;
    };
    const lost = (why: string) => {
      if (!settle()) return;
      destroy();
      reject(new RunError('lost', `connection lost (${why})`, text(out), text(err)));
    };
    const onClose = () => lost('the connection closed');
    const timer = setTimeout(() => {
      // The remote script may be half-way; destroying the sockets is the only bounded way out.
      if (!settle()) return;
      destroy();
      reject(
        new RunError('timeout', `command timed out after ${Math.round(timeoutMs / 1000)} s`, text(out), text(err)),
      );
    }, timeoutMs);
    client.once('close', onClose);
    try {
      client.exec(command, (error, stream) => {
        if (error) {
          if (settle()) reject(new Error(`cannot start a command: ${error.message}`));
          return;
        }
        let exited = false;
        let code: number | null = null;
        stream.on('data', (chunk: Buffer) => out.push(chunk));
        stream.stderr.on('data', (chunk: Buffer) => err.push(chunk));
        stream.on('exit', (status: number | null) => {
          exited = true;
          code = status;
        });
        stream.on('close', () => {
          // No exit status at all: the session (or the whole connection) went away under the script.
          if (!exited) return lost('the session ended without an exit status');
          if (settle()) resolve({ stdout: text(out), stderr: text(err), code });
        });
        stream.end(script);
      });
    } catch (error) {
      lost((error as Error).message);
    }
  });
}

/**
 * The last ssh_config text parsed, and its parse: every host of a run resolves against the same file, and parsing it
 * once per host made a 100-node lab's file (a Host block per node) cost ~1 s of CPU. Keyed by the text itself (read
 * each time, which is cheap), so a rewritten file is never answered from an old parse.
 */
let lastParsed: { text: string; config: SshConfigFile } | undefined;

function cachedSshConfig(file: string | undefined): SshConfigFile | undefined {
  const chosen = file ?? path.join(os.homedir(), '.ssh', 'config');
  if (file === undefined && !fs.existsSync(chosen)) return undefined;
  const text = fs.readFileSync(chosen, 'utf8');
  if (lastParsed?.text !== text) lastParsed = { text, config: SSHConfig.parse(text) };
  return lastParsed.config;
}

/** The real connector: resolves the node's ssh settings and connects. */
export const sshConnector: Connector = (node, options) => {
  const config = cachedSshConfig(options.sshConfigFile);
  const target = resolveHost(node.ssh, options, config);
  return connectResolved(target, options);
};
