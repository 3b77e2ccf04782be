import { Command } from 'commander';
import { planCluster } from '../host/provision';
import { formatPlan } from '../host/report';
import { addHostOptions, finish, type HostCliOptions, prepare } from './bootstrap';

export function registerPlan(program: Command): void {
  addHostOptions(program.command('plan')
    .description('connect, read facts and print per host what bootstrap would change (before → after, commands, '
      + 'file diffs); mutates nothing. Exit 1 when a host could not be read'))
    .action(async (file: string, opts: HostCliOptions) => {
      const { model, options } = prepare(file, opts, 'plan');
      finish(await planCluster(model, options), opts, formatPlan);
    });
}
