import { Command } from 'commander';
import type { ExitStatus } from './exit-codes';
import {
  addDisruptionOptions,
  addHostOptions,
  addRolloutOptions,
  finish,
  type HostCliOptions,
  prepare,
} from './host-options';

export function registerPlan(program: Command, status: ExitStatus): void {
  addRolloutOptions(
    addDisruptionOptions(
      addHostOptions(
        program
          .command('plan')
          .description(
            'connect, read facts and print per host what bootstrap would change (before → after, commands, ' +
              'file diffs) and what it would refuse; mutates nothing. Exit 1 when a host could not be read, 2 when bootstrap would refuse one',
          ),
      ),
    ),
    false,
  ).action(async (file: string, opts: HostCliOptions) => {
    const { model, options } = prepare(file, opts, 'plan');
    const { planCluster } = require('../host/provision') as typeof import('../host/provision');
    const { formatPlan } = require('../host/report') as typeof import('../host/report');
    finish(await planCluster(model, options), opts, status, formatPlan);
  });
}
