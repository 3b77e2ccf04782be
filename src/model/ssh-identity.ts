/**
 * ssh.identityFile: where a node's key is on this machine, found the way the SSH transport (src/host/ssh.ts) finds
 * it — `~` and OpenSSH's %d %h %r %p %u %% tokens expanded, relative to the cluster file's directory — and checked
 * when the file is loaded, before any connection.
 *
 * Only commands that connect (plan, bootstrap, verify, reset, diagnose) need the key: for them a key that cannot be
 * read is an error, found before the first node is touched instead of at its connect. validate, synth, trace, graph,
 * netpol and lab load the same file without connecting, often on a machine that does not hold the key (CI, a
 * laptop): there it is a warning saying which commands will refuse to start.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Issue, show } from './errors';
import type { Cluster } from './schema';

/** Expands `~` and OpenSSH's tokens of an IdentityFile-like path, as ssh(1) does for the host it connects to. */
export function expandSshPath(value: string, host: string, user: string, port: number): string {
  const home = os.homedir();
  const tokens: Record<string, string> = {
    d: home,
    h: host,
    r: user,
    p: String(port),
    u: os.userInfo().username,
    '%': '%',
  };
  return value.replace(/^~(?=\/|$)/, home).replace(/%(.)/g, (all, c: string) => tokens[c] ?? all);
}

/** The absolute path of a node's identityFile: expanded, then resolved against the cluster file's directory. */
export function identityFilePath(
  identityFile: string,
  ssh: { host: string; user: string; port: number },
  baseDir: string,
): string {
  return path.resolve(baseDir, expandSshPath(identityFile, ssh.host, ssh.user, ssh.port));
}

/** Why the key file cannot be used, or undefined when it is a readable regular file. */
function unusable(file: string): string | undefined {
  try {
    if (!fs.statSync(file).isFile()) return 'is not a regular file';
    fs.accessSync(file, fs.constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`;
  }
}

/**
 * Every node's identityFile that cannot be read on this machine: an error when the command connects, else a
 * warning. (An empty one or one with a NUL is refused by the schema, for every command.)
 */
export function identityFileIssues(cluster: Cluster, baseDir: string, connects: boolean): Issue[] {
  const issues: Issue[] = [];
  cluster.nodes.forEach((node, n) => {
    const value = node.ssh.identityFile;
    if (value === undefined) return;
    const file = identityFilePath(value, node.ssh, baseDir);
    const problem = unusable(file);
    if (problem === undefined) return;
    const where = file === value ? '' : ` (${file})`;
    issues.push(
      connects
        ? {
            path: ['nodes', n, 'ssh', 'identityFile'],
            message: `${show(value)}${where} ${problem}: no node was connected; fix the path (a relative one is from the cluster file's directory) or remove identityFile to use ssh-agent and the default keys`,
          }
        : {
            path: ['nodes', n, 'ssh', 'identityFile'],
            message: `${show(value)}${where} ${problem} on this machine: plan, bootstrap, verify, reset and diagnose will refuse to start here (validate only warns: the file may be checked where the key is not)`,
            severity: 'warning',
          },
    );
  });
  return issues;
}
