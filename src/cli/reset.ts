import { Command } from 'commander';
import type { ExitStatus } from './exit-codes';
import { addHostOptions, finish, type HostCliOptions, prepare } from './host-options';

interface ResetCliOptions extends HostCliOptions {
  dryRun?: boolean;
}

export function registerReset(program: Command, status: ExitStatus): void {
  addHostOptions(
    program
      .command('reset')
      .description(
        'put every node back as it was before the first bootstrap of this cluster: remove what netstrap ' +
          "created and restore what it changed (routes, sysctls, managed blocks, files), as each node's ownership record " +
          '(/etc/netstrap/<cluster>.state.json) lists them; idempotent. Exit 0 done, 1 a host failed, 2 invalid input',
      ),
  )
    .option('--dry-run', 'only print what reset would do; change nothing')
    .action(async (file: string, opts: ResetCliOptions) => {
      const { model, options } = prepare(file, opts, 'reset');
      const { resetCluster } = require('../host/provision') as typeof import('../host/provision');
      const { formatPlan, formatSummary } = require('../host/report') as typeof import('../host/report');
      const result = await resetCluster(model, { ...options, dryRun: opts.dryRun === true });
      finish(result, opts, status, opts.dryRun ? formatPlan : (r) => formatPlan(r) + '\n' + formatSummary(r));
    });
}
