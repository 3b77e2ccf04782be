/**
 * The `netstrap` command line. Each command lives in its own module and registers itself here.
 * Exit codes: 0 success, 1 a host or check failed, 2 invalid input or usage (nothing was touched).
 */
import { Command, CommanderError } from 'commander';
import { InputError } from '../model/errors';
import { registerLab } from './lab';
import { registerBootstrap } from './bootstrap';
import { registerPlan } from './plan';
import { registerReset } from './reset';
import { registerSchema } from './schema';
import { registerVerify } from './verify';
import { registerSynth } from './synth';
import { registerValidate } from './validate';
import { registerNetpol } from './netpol';
import { EXIT_FAILED, EXIT_INVALID } from './exit-codes';

export { EXIT_FAILED, EXIT_INVALID };

export function buildProgram(): Command {
  const program = new Command('netstrap')
    .description('Typed Kubernetes cluster networking: synthesize manifests and provision nodes over SSH.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerValidate(program);
  registerSynth(program);
  registerSchema(program);
  registerPlan(program);
  registerBootstrap(program);
  registerVerify(program);
  registerReset(program);
  registerLab(program);
  registerNetpol(program);
  // Every subcommand rejects unknown flags and extra arguments, and reports usage errors with exit code 2.
  for (const command of program.commands) command.exitOverride().allowExcessArguments(false);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_INVALID;
    } else if (error instanceof InputError) {
      for (const line of error.lines()) console.error(line);
      process.exitCode = EXIT_INVALID;
    } else {
      console.error(`netstrap: ${(error as Error).stack ?? error}`);
      process.exitCode = EXIT_FAILED;
    }
  }
}
