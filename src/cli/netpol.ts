/**
 * `netstrap netpol can|matrix|list|diff`: what traffic the NetworkPolicies of cluster files and/or manifests allow
 * (src/model/netpol/). Exit codes: can 0 allowed / 1 denied; diff 0 same / 1 different; 2 bad input everywhere.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { InputError } from '../model/errors';
import type { NetpolInput } from '../model/netpol/read';
import type { NetpolAnalysis } from '../model/netpol/analyze';
import type { Protocol } from '../model/netpol/inventory';
import { EXIT_FAILED, type ExitStatus } from './exit-codes';
import type { ListFormat } from './netpol-output';

/** The output module loads with the command (not for `--help` or the other commands). */
const output = () => require('./netpol-output') as typeof import('./netpol-output');
const LIST_FORMATS = ['txt', 'json', 'md', 'csv', 'dot'];

function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535)
    throw new InvalidArgumentError(`must be a port number 1-65535 (got ${JSON.stringify(value)})`);
  return n;
}

const protocolOption = () =>
  new Option('--protocol <protocol>', 'TCP, UDP or SCTP').choices(['TCP', 'UDP', 'SCTP']).default('TCP');

/**
 * A cluster file counts as the objects `netstrap synth` writes from it (add-ons included) plus its declared
 * workloads, so `netpol X.yaml` and `netpol dist/ workloads.yaml` agree. cdk8s loads only for cluster files.
 */
export function synthesizedObjects(model: import('../model/load').ClusterModel): unknown[] {
  const { App } = require('cdk8s') as typeof import('cdk8s');
  const { ClusterChart } = require('../../constructs/cluster-chart') as typeof import('../../constructs/cluster-chart');
  return new ClusterChart(new App(), model.cluster.name, { model, quiet: true }).toJson();
}

/** Reads the inputs, prints what was read and the lints (stderr), and builds the analysis. */
function analyse(inputs: string[]): { input: NetpolInput; analysis: NetpolAnalysis } {
  const { inputCounts, readNetpolInputs } = require('../model/netpol/read') as typeof import('../model/netpol/read');
  const { NetpolAnalysis } = require('../model/netpol/analyze') as typeof import('../model/netpol/analyze');
  const { netpolLints } = require('../model/netpol/lints') as typeof import('../model/netpol/lints');
  const input = readNetpolInputs(inputs, synthesizedObjects);
  const analysis = new NetpolAnalysis(input.inventory);
  const inv = input.inventory;
  const counts = inputCounts(input);
  const skipped = Object.entries(counts.notAnalysed)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  // The families analysed, when not IPv4 alone (IPv4-only input prints what it always did).
  const families =
    analysis.families.length === 1 && analysis.families[0] === 4
      ? ''
      : ` over ${analysis.families.map((f) => `IPv${f}`).join(' and ')}`;
  console.error(
    `netpol: ${counts.workloads} workloads, ${counts.namespaces} namespaces, ${counts.networkPolicies} NetworkPolicies from ${counts.files} file${counts.files === 1 ? '' : 's'}${families}` +
      (skipped ? `; not analysed: ${skipped}` : ''),
  );
  for (const line of input.warnings) console.error(line);
  for (const lint of netpolLints(inv, analysis)) console.error(`warning: ${lint}`);
  return { input, analysis };
}

export function registerNetpol(program: Command, status: ExitStatus): void {
  const netpol = program
    .command('netpol')
    .description(
      'what traffic NetworkPolicies allow, from cluster files and/or Kubernetes manifests (files, directories, kubectl -o yaml, kustomize/helm renders)',
    );

  netpol
    .command('can')
    .description('may FROM open a connection to TO on a port? Exit 0 allowed, 1 denied, 2 bad input')
    .argument('<inputs...>', 'cluster files, manifest files or directories')
    .requiredOption('--from <endpoint>', 'NS/NAME, NS/KIND/NAME or an IPv4 or IPv6 address')
    .requiredOption('--to <endpoint>', 'NS/NAME, NS/KIND/NAME or an IPv4 or IPv6 address')
    .requiredOption('--port <port>', 'destination port', portNumber)
    .addOption(protocolOption())
    .option('--explain', 'name the policies and rules that decide')
    .action(
      (inputs: string[], opts: { from: string; to: string; port: number; protocol: Protocol; explain?: boolean }) => {
        const { familyMismatch, resolveEndpoint } =
          require('../model/netpol/analyze') as typeof import('../model/netpol/analyze');
        const { analysis } = analyse(inputs);
        const from = resolveEndpoint(analysis, opts.from);
        const to = resolveEndpoint(analysis, opts.to);
        const issues = [];
        if (from.error) issues.push({ path: ['from'], message: `(--from) ${from.error}` });
        if (to.error) issues.push({ path: ['to'], message: `(--to) ${to.error}` });
        if (from.endpoint && to.endpoint && !('workload' in from.endpoint) && !('workload' in to.endpoint)) {
          issues.push({
            path: ['to'],
            message:
              '(--from, --to) neither end is a pod: NetworkPolicies only apply to connections with a pod on one or both ends',
          });
        }
        const mismatch = from.endpoint && to.endpoint ? familyMismatch(from.endpoint, to.endpoint) : undefined;
        if (mismatch) issues.push({ path: ['to'], message: `(--from, --to) ${mismatch}` });
        if (issues.length > 0) throw new InputError('netstrap netpol can', issues);
        const verdict = analysis.can(from.endpoint!, to.endpoint!, opts.port, opts.protocol);
        const notes = [from.via, to.via].filter((v): v is string => v !== undefined);
        process.stdout.write(
          output().formatVerdict(
            analysis,
            from.endpoint!,
            to.endpoint!,
            opts.port,
            opts.protocol,
            verdict,
            opts.explain === true,
            notes,
          ),
        );
        if (!verdict.allowed) status.code = EXIT_FAILED;
      },
    );

  netpol
    .command('matrix')
    .description(
      'allowed or not, for every ordered pair of workloads (rows: from, columns: to), on one port (--port) or on any port',
    )
    .argument('<inputs...>', 'cluster files, manifest files or directories')
    .option(
      '--port <port>',
      'destination port (default: every port of every protocol: . all, ~ some, X none)',
      portNumber,
    )
    .addOption(protocolOption())
    .option(
      '--json',
      'print {"port", "protocol", "inputs": {files, workloads, namespaces, networkPolicies, read, analysed, notAnalysed}, "matrix": {from: {to: true|false}}}; without --port, "port": "any" and each cell is the allowed connections in words',
    )
    .action((inputs: string[], opts: { port?: number; protocol: Protocol; json?: boolean }) => {
      const { inputCounts } = require('../model/netpol/read') as typeof import('../model/netpol/read');
      const { input, analysis } = analyse(inputs);
      const counts = opts.json ? inputCounts(input) : undefined;
      process.stdout.write(
        opts.port === undefined
          ? output().formatAnyPortMatrix(analysis, counts)
          : output().formatMatrix(
              analysis,
              analysis.matrix(opts.port, opts.protocol),
              opts.port,
              opts.protocol,
              counts,
            ),
      );
    });

  netpol
    .command('list')
    .description(
      'every allowed connection, per pair with its ports, and the external address ranges each workload may reach or be reached from',
    )
    .argument('<inputs...>', 'cluster files, manifest files or directories')
    .addOption(new Option('--format <format>', 'output format').choices([...LIST_FORMATS]).default('txt'))
    .action((inputs: string[], opts: { format: ListFormat }) => {
      const { analysis } = analyse(inputs);
      process.stdout.write(output().formatList(output().connectionRows(analysis), opts.format));
    });

  netpol
    .command('diff')
    .description(
      'connections added and removed between two inputs (e.g. main and a pull request). Exit 0 same, 1 different',
    )
    .argument('<old>', 'cluster file, manifest file or directory')
    .argument('<new>', 'cluster file, manifest file or directory')
    .addOption(new Option('--format <format>', 'output format').choices(['txt', 'json', 'md', 'csv']).default('txt'))
    .action((oldInput: string, newInput: string, opts: { format: 'txt' | 'json' | 'md' | 'csv' }) => {
      const { connectionRows, diffRows, formatDiff } = output();
      const before = connectionRows(analyse([oldInput]).analysis);
      const after = connectionRows(analyse([newInput]).analysis);
      const rows = diffRows(before, after);
      process.stdout.write(formatDiff(rows, opts.format));
      if (rows.length > 0) status.code = EXIT_FAILED;
    });

  for (const command of netpol.commands) command.exitOverride().allowExcessArguments(false);
}
