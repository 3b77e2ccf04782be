import * as fs from 'fs';
import type { Command } from 'commander';
import { InputError } from '../model/errors';
import type { ExitStatus } from './exit-codes';
import {
  addDisruptionOptions,
  addHostOptions,
  addRolloutOptions,
  finish,
  type HostCliOptions,
  prepare,
} from './host-options';

interface BootstrapCliOptions extends HostCliOptions {
  plan?: string;
}

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
  )
    .option(
      '--plan <file>',
      'apply exactly the plan `plan --out` saved: refused (exit 2, nothing done) when the cluster file changed since, ' +
        'and per node when what it reads differs from what the plan read',
    )
    .action(async (file: string, opts: BootstrapCliOptions) => {
      const savedPlan = opts.plan === undefined ? undefined : readSavedPlan(opts.plan, opts);
      const only = savedPlan ? savedPlan.nodes.map((n) => n.node) : opts.only;
      const { model, options } = prepare(file, { ...opts, only }, 'bootstrap');
      if (savedPlan) {
        const { savedPlanIssues, sha256 } = require('../host/saved-plan') as typeof import('../host/saved-plan');
        const issues = savedPlanIssues(savedPlan, model.cluster.name, sha256(fs.readFileSync(file)));
        if (issues.length > 0) throw new InputError(opts.plan!, issues);
      }
      const { bootstrapCluster } = require('../host/provision') as typeof import('../host/provision');
      finish(await bootstrapCluster(model, { ...options, savedPlan }), opts, status);
    });
}

/**
 * The saved plan of `bootstrap --plan`, checked before any connection: readable, and not combined with the options
 * the plan fixed (that it is of this very cluster file is checked once the file is loaded). Any problem is an
 * InputError (exit 2).
 */
function readSavedPlan(planFile: string, opts: BootstrapCliOptions): import('../host/saved-plan').SavedPlan {
  const { parseSavedPlan } = require('../host/saved-plan') as typeof import('../host/saved-plan');
  if (!fs.existsSync(planFile))
    throw new InputError('netstrap', [
      { path: ['plan'], message: `(--plan) file not found: ${JSON.stringify(planFile)}` },
    ]);
  const fixed = [
    ['--only', opts.only !== undefined],
    ['--keep-removed', opts.keepRemoved === true],
  ] as const;
  const conflicts = fixed
    .filter(([, given]) => given)
    .map(([flag]) => ({
      path: [flag.slice(2)],
      message: `(${flag}) cannot be combined with --plan: the saved plan fixes it (pass it to plan --out)`,
    }));
  if (conflicts.length > 0) throw new InputError('netstrap', conflicts);
  let text: string;
  try {
    text = fs.readFileSync(planFile, 'utf8');
  } catch (error) {
    throw new InputError('netstrap', [
      { path: ['plan'], message: `(--plan) cannot read ${JSON.stringify(planFile)}: ${(error as Error).message}` },
    ]);
  }
  const parsed = parseSavedPlan(text);
  if ('issues' in parsed) throw new InputError(planFile, parsed.issues);
  return parsed;
}
