/**
 * The options of every command that reaches the hosts (plan, bootstrap, verify, reset, diagnose), in one place:
 * declaring them, checking them before any connection (`--only`, key and config files: exit 2, nothing touched), and
 * printing a run's result with its exit status. Their defaults come from src/host/defaults.ts.
 */
import * as fs from 'fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { InputError, type Issue } from '../model/errors';
import { printWarnings, processOutput } from './output';
import type { ClusterModel } from '../model/load';
import type { ClusterResult, ProvisionOptions, RunMode } from '../host/provision';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_CONFIRM_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
} from '../host/defaults';
import { onlyIssues, selectNodes } from '../host/only';
import { type MaxFail, parseMaxFail, parseSerial, type SerialItem } from '../host/rollout';
import { EXIT_FAILED, EXIT_INVALID, type ExitStatus } from './exit-codes';

/** Options shared by plan, bootstrap and verify (everything about reaching the hosts). */
export interface HostCliOptions {
  sshConfig?: string;
  stateDir?: string;
  identity?: string;
  knownHosts?: string;
  acceptNewHostKeys?: boolean;
  connectTimeout: number;
  commandTimeout: number;
  concurrency: number;
  json?: boolean;
  only?: string[];
  keepRemoved?: boolean;
  allowDisruption?: boolean;
  confirmTimeout?: number;
  watchdog?: 'detached' | 'systemd';
  serial?: SerialItem[];
  maxFail?: MaxFail;
}

function positive(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a positive number (got ${JSON.stringify(value)})`);
    return n;
  };
}

export function addHostOptions(command: Command): Command {
  return command
    .argument('<cluster.yaml>', 'the cluster file')
    .option(
      '--ssh-config <file>',
      "OpenSSH client config resolving host aliases (default: the running lab's, else ~/.ssh/config if present)",
    )
    .option(
      '--state-dir <dir>',
      'reach the lab of this state directory (default: .lab/<cluster-name> when that lab is up)',
    )
    .option('--identity <file>', 'private key to try first for every host')
    .option(
      '--known-hosts <file>',
      "known_hosts file (default: the config's UserKnownHostsFile, else ~/.ssh/known_hosts)",
    )
    .option(
      '--accept-new-host-keys',
      'accept and record keys of hosts not in known_hosts (a changed key is always refused)',
    )
    .option(
      '--connect-timeout <seconds>',
      'TCP + SSH handshake + authentication, per host',
      positive('--connect-timeout'),
      DEFAULT_CONNECT_TIMEOUT_MS / 1000,
    )
    .option(
      '--command-timeout <seconds>',
      'each command round trip',
      positive('--command-timeout'),
      DEFAULT_COMMAND_TIMEOUT_MS / 1000,
    )
    .option(
      '--concurrency <n>',
      'hosts worked on at once',
      (v) => Math.floor(positive('--concurrency')(v)),
      DEFAULT_CONCURRENCY,
    )
    .option('--only <nodes>', 'only these nodes (comma-separated names)', (v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    )
    .option(
      '--keep-removed',
      'leave objects netstrap owns but the file no longer declares in place for this run (they stay owned)',
    )
    .option('--json', 'print the results as JSON');
}

/** Options of the commands that may change nodes (plan shows what bootstrap would do with them). */
export function addDisruptionOptions(command: Command): Command {
  return command
    .option(
      '--allow-disruption',
      "apply changes the lock-out guard refuses (they would cut this SSH session's path), under " +
        'commit-confirm: every changing node is confirmed over a new SSH connection, or reverted by a watchdog',
    )
    .option(
      '--confirm-timeout <seconds>',
      'with --allow-disruption: the watchdog reverts unless confirmed within this time',
      positive('--confirm-timeout'),
      DEFAULT_CONFIRM_TIMEOUT_MS / 1000,
    )
    .addOption(
      new Option(
        '--watchdog <kind>',
        'with --allow-disruption: a detached process, or a systemd-run timer (systemd hosts)',
      )
        .choices(['detached', 'systemd'])
        .default('detached'),
    );
}

/** An option parser from a parse function that throws: commander then names the option and the value (exit 2). */
function parsedBy<T>(parse: (value: string) => T) {
  return (value: string): T => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

/** --serial (plan shows the batches; bootstrap works in them) and, with `maxFail`, --max-fail (bootstrap). */
export function addRolloutOptions(command: Command, maxFail: boolean): Command {
  command.option(
    '--serial <sizes>',
    'staged rollout: work on the nodes in batches, in cluster-file order, each done (confirmed, its checks run) ' +
      'before the next starts; sizes are counts or percentages of the nodes, the last one repeating: ' +
      '1,10%,100% is one canary node, then 10% at a time, then the rest (default: every node at once)',
    parsedBy(parseSerial),
  );
  if (!maxFail) return command;
  return command.option(
    '--max-fail <n|n%>',
    'with --serial: stop the rollout (the nodes not started are reported skipped) after a batch in which more ' +
      "nodes failed (or a check from them) than n, or than n% of the batch's nodes; a batch failing entirely " +
      'always stops it (default: only that)',
    parsedBy(parseMaxFail),
  );
}

/** --ssh-config and --identity name files that exist: checked before any connection (the caller throws, exit 2). */
export function sshFileIssues(opts: { readonly sshConfig?: string; readonly identity?: string }): Issue[] {
  const issues: Issue[] = [];
  for (const [flag, value] of [
    ['--ssh-config', opts.sshConfig],
    ['--identity', opts.identity],
  ] as const) {
    if (value !== undefined && !fs.existsSync(value))
      issues.push({ path: [flag.slice(2)], message: `(${flag}) file not found: ${JSON.stringify(value)}` });
  }
  return issues;
}

/**
 * Loads and checks the cluster file and the options before anything else: invalid input throws InputError
 * (exit 2) and no connection is made.
 */
export function prepare(
  file: string,
  opts: HostCliOptions,
  mode: RunMode,
): { model: ClusterModel; options: ProvisionOptions } {
  // The model, SSH and report modules load when a host command runs, not for `--help` or the other commands.
  const { loadClusterFile } = require('../model/load') as typeof import('../model/load');
  const { progressLine } = require('../host/report') as typeof import('../host/report');
  // connects: a node's identityFile that cannot be read is an error now, before any connection.
  const model = loadClusterFile(file, { connects: true });
  printWarnings(processOutput, model);
  const issues = [...onlyIssues(model.cluster.nodes, opts.only), ...sshFileIssues(opts)];
  if (issues.length > 0) throw new InputError('netstrap', issues);
  if (opts.maxFail !== undefined && opts.serial === undefined)
    console.error('warning: --max-fail has no effect without --serial (every node is in one batch)');
  const { labSshConfig } = require('./lab-target') as typeof import('./lab-target');
  return {
    model,
    options: {
      sshConfigFile: labSshConfig(model.cluster.name, opts, (line) => console.error(line)),
      identityFile: opts.identity,
      knownHostsFile: opts.knownHosts,
      acceptNewHostKeys: opts.acceptNewHostKeys === true,
      connectTimeoutMs: opts.connectTimeout * 1000,
      commandTimeoutMs: opts.commandTimeout * 1000,
      concurrency: opts.concurrency,
      only: opts.only,
      keepRemoved: opts.keepRemoved === true,
      allowDisruption: opts.allowDisruption === true,
      confirmTimeoutMs: opts.confirmTimeout === undefined ? undefined : opts.confirmTimeout * 1000,
      watchdog: opts.watchdog,
      serial: opts.serial,
      maxFail: opts.maxFail,
      onHostDone: opts.json
        ? undefined
        : progressLine(process.stderr, mode, selectNodes(model.cluster.nodes, opts.only).length),
    },
  };
}

/** Prints a result (summary table or JSON) and sets the exit status: 2 when a node was refused, 1 when not ok. */
export function finish(
  result: ClusterResult,
  opts: HostCliOptions,
  status: ExitStatus,
  text?: (result: ClusterResult) => string,
): void {
  const { formatSummary, resultJson } = require('../host/report') as typeof import('../host/report');
  text ??= formatSummary;
  process.stdout.write(opts.json ? JSON.stringify(resultJson(result), null, 2) + '\n' : text(result));
  if (result.hosts.some((host) => host.status === 'refused')) status.code = EXIT_INVALID;
  else if (!result.ok) status.code = EXIT_FAILED;
}
