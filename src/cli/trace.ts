import { Command } from 'commander';
import { EXIT_FAILED, type ExitStatus } from './exit-codes';
import { printWarnings, processOutput } from './output';

interface TraceOptions {
  json?: boolean;
}

export function registerTrace(program: Command, status: ExitStatus): void {
  program
    .command('trace')
    .description(
      'trace a packet from FROM to TO through the cluster file (routes, ip_forward, NAT, namespaces, pods) ' +
        'and its reply, without touching anything. Exit 0 delivered or leaves the modelled network, 1 dropped, 2 bad input',
    )
    .argument('<cluster.yaml>', 'the cluster file')
    .argument('<from>', 'a node, or node/namespace (a declared namespace or a pod)')
    .argument('<to>', 'an IPv4 address, a node, or node/namespace; :PORT for a TCP connection (else ping)')
    .option('--json', 'print the trace as JSON')
    .action((file: string, from: string, to: string, options: TraceOptions) => {
      // Loaded when the command runs, so `--help` and the other commands do not pay for the model's modules.
      const { loadClusterFile } = require('../model/load') as typeof import('../model/load');
      const { formatTrace, traceCluster } = require('../model/trace') as typeof import('../model/trace');
      // A verify check that cannot pass is what one traces to find out why: not an error here.
      const model = loadClusterFile(file, { traceProbes: false });
      printWarnings(processOutput, model);
      const result = traceCluster(model, from, to);
      process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatTrace(result));
      if (result.verdict === 'dropped') status.code = EXIT_FAILED;
    });
}
