import { Command, InvalidArgumentError, Option } from 'commander';
import { addHostOptions, type HostCliOptions, prepare } from './host-options';
import { EXIT_FAILED, type ExitStatus } from './exit-codes';

interface DiagnoseCliOptions extends HostCliOptions {
  format?: 'table' | 'md' | 'json';
}

export function registerDiagnose(program: Command, status: ExitStatus): void {
  addHostOptions(
    program
      .command('diagnose')
      .description(
        'read every node (one round trip each, in parallel), probe reachability (one more), and report what is ' +
          'wrong against the cluster file: drift, forwarding, addresses and routes, Kubernetes ports and configuration, CNI, DNS, ' +
          'kubeadm-like preflight; each finding with its fix. Changes nothing. Exit 0 no fail, 1 a fail, 2 invalid input',
      ),
  )
    .addOption(
      new Option('--format <format>', 'table, md or json (--json is --format json)').argParser((value: string) => {
        if (!['table', 'md', 'json'].includes(value))
          throw new InvalidArgumentError(`--format must be table, md or json (got ${JSON.stringify(value)})`);
        return value;
      }),
    )
    .action(async (file: string, opts: DiagnoseCliOptions) => {
      const format = opts.json ? 'json' : (opts.format ?? 'table');
      const { model, options } = prepare(file, { ...opts, json: format !== 'table' }, 'plan');
      const { diagnoseCluster } = require('../host/diagnose') as typeof import('../host/diagnose');
      const { formatDiagnose } = require('../host/diagnose/report') as typeof import('../host/diagnose/report');
      const report = await diagnoseCluster(model, options);
      process.stdout.write(formatDiagnose(report, format));
      if (report.summary.fail > 0) status.code = EXIT_FAILED;
    });
}
