import * as fs from 'fs';
import { Command, InvalidArgumentError } from 'commander';
import { InputError } from '../model/errors';
import type { ClusterModel } from '../model/load';
import type { ClusterResult, ProvisionOptions, RunMode } from '../host/provision';
import { DEFAULT_CONCURRENCY } from '../host/types';
import { EXIT_FAILED } from './main';

/** Options shared by plan, bootstrap and verify (everything about reaching the hosts). */
export interface HostCliOptions {
  sshConfig?: string;
  identity?: string;
  knownHosts?: string;
  acceptNewHostKeys?: boolean;
  connectTimeout: number;
  commandTimeout: number;
  concurrency: number;
  json?: boolean;
  only?: string[];
  keepRemoved?: boolean;
}

function positive(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number (got ${JSON.stringify(value)})`);
    return n;
  };
}

export function addHostOptions(command: Command): Command {
  return command
    .argument('<cluster.yaml>', 'the cluster file')
    .option('--ssh-config <file>', 'OpenSSH client config resolving host aliases (default: ~/.ssh/config if present)')
    .option('--identity <file>', 'private key to try first for every host')
    .option('--known-hosts <file>', 'known_hosts file (default: the config\'s UserKnownHostsFile, else ~/.ssh/known_hosts)')
    .option('--accept-new-host-keys', 'accept and record keys of hosts not in known_hosts (a changed key is always refused)')
    .option('--connect-timeout <seconds>', 'TCP + SSH handshake + authentication, per host', positive('--connect-timeout'), 10)
    .option('--command-timeout <seconds>', 'each command round trip', positive('--command-timeout'), 120)
    .option('--concurrency <n>', 'hosts worked on at once', (v) => Math.floor(positive('--concurrency')(v)), DEFAULT_CONCURRENCY)
    .option('--only <nodes>', 'only these nodes (comma-separated names)', (v) => v.split(',').map((s) => s.trim()).filter((s) => s !== ''))
    .option('--keep-removed', 'leave objects netstrap owns but the file no longer declares in place for this run (they stay owned)')
    .option('--json', 'print the results as JSON');
}

/**
 * Loads and checks the cluster file and the options before anything else: invalid input throws InputError
 * (exit 2) and no connection is made.
 */
export function prepare(file: string, opts: HostCliOptions, mode: RunMode): { model: ClusterModel; options: ProvisionOptions } {
  // The model, SSH and report modules load when a host command runs, not for `--help` or the other commands.
  const { loadClusterFile } = require('../model/load') as typeof import('../model/load');
  const { progressLine } = require('../host/report') as typeof import('../host/report');
  const model = loadClusterFile(file);
  const issues = [];
  for (const name of opts.only ?? []) {
    if (!model.cluster.nodes.some((node) => node.name === name)) issues.push({ path: ['only'], message: `(--only) no node named ${JSON.stringify(name)}` });
  }
  for (const [flag, value] of [['--ssh-config', opts.sshConfig], ['--identity', opts.identity]] as const) {
    if (value !== undefined && !fs.existsSync(value)) issues.push({ path: [flag.slice(2)], message: `(${flag}) file not found: ${JSON.stringify(value)}` });
  }
  if (issues.length > 0) throw new InputError('netstrap', issues);
  return {
    model,
    options: {
      sshConfigFile: opts.sshConfig,
      identityFile: opts.identity,
      knownHostsFile: opts.knownHosts,
      acceptNewHostKeys: opts.acceptNewHostKeys === true,
      connectTimeoutMs: opts.connectTimeout * 1000,
      commandTimeoutMs: opts.commandTimeout * 1000,
      concurrency: opts.concurrency,
      only: opts.only,
      keepRemoved: opts.keepRemoved === true,
      onHostDone: opts.json ? undefined : progressLine(process.stderr, mode),
    },
  };
}

/** Prints a result (summary table or JSON) and sets the exit code. */
export function finish(result: ClusterResult, opts: HostCliOptions, text?: (result: ClusterResult) => string): void {
  const { formatSummary, resultJson } = require('../host/report') as typeof import('../host/report');
  text ??= formatSummary;
  process.stdout.write(opts.json ? JSON.stringify(resultJson(result), null, 2) + '\n' : text(result));
  if (!result.ok) process.exitCode = EXIT_FAILED;
}

export function registerBootstrap(program: Command): void {
  addHostOptions(program.command('bootstrap')
    .description('bring every node to the state of the cluster file over SSH: plan, apply (one script per host, '
      + 'reverted on failure), verify; then run the connectivity checks. Exit 0 converged, 1 a host or check failed, 2 invalid input'))
    .action(async (file: string, opts: HostCliOptions) => {
      const { model, options } = prepare(file, opts, 'bootstrap');
      const { bootstrapCluster } = require('../host/provision') as typeof import('../host/provision');
      finish(await bootstrapCluster(model, options), opts);
    });
}
