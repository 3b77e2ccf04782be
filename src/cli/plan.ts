import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { EXIT_FAILED, type ExitStatus } from './exit-codes';
import {
  addDisruptionOptions,
  addHostOptions,
  addRolloutOptions,
  finish,
  type HostCliOptions,
  prepare,
} from './host-options';
import { InputError } from '../model/errors';
import { colourWanted } from './output';

interface PlanCliOptions extends HostCliOptions {
  brief?: boolean;
  out?: string;
}

export function registerPlan(program: Command, status: ExitStatus): void {
  addRolloutOptions(
    addDisruptionOptions(
      addHostOptions(
        program
          .command('plan')
          .description(
            'connect, read facts and print per host what bootstrap would change (+ create, ~ change, - remove: before → after, ' +
              'commands, file diffs; a summary line per host and for the run) and what it would refuse; mutates nothing. ' +
              'Exit 1 when a host could not be read, 2 when bootstrap would refuse one',
          ),
      ),
    ),
    false,
  )
    .option('--brief', 'one line per object changed: no commands, no file diffs')
    .option(
      '--out <file>',
      'save the plan (changes, commands, file contents, a digest of the facts read; no keys) for bootstrap --plan',
    )
    .action(async (file: string, opts: PlanCliOptions) => {
      if (opts.out !== undefined) checkOutDir(opts.out);
      const { model, options } = prepare(file, opts, 'plan');
      const { planCluster } = require('../host/provision') as typeof import('../host/provision');
      const { formatPlan } = require('../host/report') as typeof import('../host/report');
      const result = await planCluster(model, options);
      finish(result, opts, status, (r) => formatPlan(r, { brief: opts.brief, colour: colourWanted(process.stdout) }));
      if (opts.out !== undefined) writeSavedPlan(file, opts.out, result, opts.keepRemoved === true, status);
    });
}
/** `--out`'s directory must exist before any host is read, so that a plan is not made for nothing (exit 2). */
function checkOutDir(out: string): void {
  const dir = path.dirname(out);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new InputError('netstrap', [
      { path: ['out'], message: `(--out) no directory ${JSON.stringify(dir)} to save the plan in` },
    ]);
}

/**
 * Writes the saved plan atomically (a reader never sees half a file), or says on stderr why there is none: a host
 * that could not be read has no plan (the exit status already says 1).
 */
function writeSavedPlan(
  clusterFile: string,
  out: string,
  result: import('../host/provision').ClusterResult,
  keepRemoved: boolean,
  status: ExitStatus,
): void {
  const { savePlan, sha256 } = require('../host/saved-plan') as typeof import('../host/saved-plan');
  const saved = savePlan(
    result.hosts,
    result.cluster,
    { path: clusterFile, sha256: sha256(fs.readFileSync(clusterFile)) },
    keepRemoved,
  );
  if ('unread' in saved) {
    const names = saved.unread.map((h) => `${h.node} (${h.status})`).join(', ');
    process.stderr.write(`netstrap: plan not saved to ${out}: not every node was read: ${names}\n`);
    return;
  }
  const temporary = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temporary, `${JSON.stringify(saved, null, 2)}\n`);
    fs.renameSync(temporary, out);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    process.stderr.write(`netstrap: plan not saved to ${out}: ${(error as Error).message}\n`);
    if (status.code === 0) status.code = EXIT_FAILED;
    return;
  }
  process.stderr.write(
    `plan saved to ${out}; apply exactly it with: netstrap bootstrap ${clusterFile} --plan ${out}\n`,
  );
}
