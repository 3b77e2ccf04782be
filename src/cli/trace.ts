import { Command } from 'commander';
import { EXIT_FAILED, type ExitStatus } from './exit-codes';
import { printWarnings, processOutput } from './output';

interface TraceOptions {
  json?: boolean;
  live?: boolean;
  sshConfig?: string;
  stateDir?: string;
  identity?: string;
  knownHosts?: string;
  commandTimeout?: string;
}

export function registerTrace(program: Command, status: ExitStatus): void {
  program
    .command('trace')
    .description(
      'trace a packet from FROM to TO through the cluster file (routes, ip_forward, NAT, namespaces, pods) ' +
        'and its reply, without touching anything; --live also asks each node on the path (ip route get, one SSH ' +
        'round trip per node) and names the first hop where the kernels leave the model. Exit 0 delivered or leaves ' +
        'the modelled network (and, with --live, the kernels agree), 1 dropped or they part, 2 bad input',
    )
    .argument('<cluster.yaml>', 'the cluster file')
    .argument('<from>', 'a node, or node/namespace (a declared namespace or a pod)')
    .argument('<to>', 'an IPv4 address, a node, or node/namespace; :PORT for a TCP connection (else ping)')
    .option('--json', 'print the trace as JSON')
    .option('--live', "beside the model's trace, what the nodes' kernels do at each hop (read over SSH, read-only)")
    .option('--ssh-config <file>', "with --live: OpenSSH client config (default: the running lab's)")
    .option('--state-dir <dir>', 'with --live: reach the lab of this state directory')
    .option('--identity <file>', 'with --live: private key to try first for every host')
    .option('--known-hosts <file>', 'with --live: known_hosts file')
    .option('--command-timeout <seconds>', 'with --live: each round trip', '120')
    .action(async (file: string, from: string, to: string, options: TraceOptions) => {
      // Loaded when the command runs, so `--help` and the other commands do not pay for the model's modules.
      const { loadClusterFile } = require('../model/load') as typeof import('../model/load');
      const { formatTrace, traceCluster } = require('../model/trace') as typeof import('../model/trace');
      // A verify check that cannot pass is what one traces to find out why: not an error here.
      const model = loadClusterFile(file, { traceProbes: false });
      printWarnings(processOutput, model);
      const result = traceCluster(model, from, to);
      if (!options.live) {
        process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatTrace(result));
        if (result.verdict === 'dropped') status.code = EXIT_FAILED;
        return;
      }
      const seconds = Number(options.commandTimeout);
      const { sshFileIssues } = require('./host-options') as typeof import('./host-options');
      const issues = sshFileIssues(options);
      if (!Number.isFinite(seconds) || seconds <= 0)
        issues.unshift({
          path: ['command-timeout'],
          message: `must be a positive number (got ${JSON.stringify(options.commandTimeout)})`,
        });
      if (issues.length > 0) {
        const { InputError } = require('../model/errors') as typeof import('../model/errors');
        throw new InputError('netstrap trace', issues);
      }
      const { labSshConfig } = require('./lab-target') as typeof import('./lab-target');
      const { formatLiveTrace, liveTrace } = require('../host/live-trace') as typeof import('../host/live-trace');
      const live = await liveTrace(model.cluster, result, {
        baseDir: model.baseDir,
        sshConfigFile: labSshConfig(model.cluster.name, options, (line) => console.error(line)),
        identityFile: options.identity,
        knownHostsFile: options.knownHosts,
        commandTimeoutMs: seconds * 1000,
      });
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ ...result, live }, null, 2)}\n`
          : formatTrace(result) + formatLiveTrace(live),
      );
      if (result.verdict === 'dropped' || live.partsAt !== undefined) status.code = EXIT_FAILED;
    });
}
