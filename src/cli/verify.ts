import { Command } from 'commander';
import type { ExitStatus } from './exit-codes';
import { addHostOptions, finish, type HostCliOptions, prepare } from './host-options';

export function registerVerify(program: Command, status: ExitStatus): void {
  addHostOptions(
    program
      .command('verify')
      .description(
        "check that every node is converged (no pending change) and run the cluster file's connectivity " +
          'checks from the nodes (one round trip per node); mutates nothing. Exit 1 on drift or a failed check',
      ),
  ).action(async (file: string, opts: HostCliOptions) => {
    const { model, options } = prepare(file, opts, 'verify');
    const { verifyCluster } = require('../host/provision') as typeof import('../host/provision');
    finish(await verifyCluster(model, options), opts, status);
  });
}
