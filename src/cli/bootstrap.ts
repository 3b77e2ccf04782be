import type { Command } from 'commander';
import type { ExitStatus } from './exit-codes';
import {
  addDisruptionOptions,
  addHostOptions,
  addRolloutOptions,
  finish,
  type HostCliOptions,
  prepare,
} from './host-options';

export function registerBootstrap(program: Command, status: ExitStatus): void {
  addRolloutOptions(
    addDisruptionOptions(
      addHostOptions(
        program
          .command('bootstrap')
          .description(
            'bring every node to the state of the cluster file over SSH: plan, apply (one script per host, ' +
              "reverted on failure), verify; then run the connectivity checks. A node whose plan would cut this SSH session's " +
              'path is refused (nothing is sent to it). Exit 0 converged, 1 a host or check failed, was reverted or skipped, ' +
              '2 invalid input or a node refused',
          ),
      ),
    ),
    true,
  ).action(async (file: string, opts: HostCliOptions) => {
    const { model, options } = prepare(file, opts, 'bootstrap');
    const { bootstrapCluster } = require('../host/provision') as typeof import('../host/provision');
    finish(await bootstrapCluster(model, options), opts, status);
  });
}
