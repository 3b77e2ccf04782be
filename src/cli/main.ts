/**
 * The `netstrap` command line. Each command lives in its own module and registers itself here.
 * Exit codes: 0 success, 1 a host or check failed, 2 invalid input or usage (nothing was touched).
 */
import { Command, CommanderError } from 'commander';
import { InputError } from '../model/errors';
import { registerLab } from './lab';
import { registerBootstrap } from './bootstrap';
import { registerDiagnose } from './diagnose';
import { registerPlan } from './plan';
import { registerReset } from './reset';
import { registerSchema } from './schema';
import { registerVerify } from './verify';
import { registerSynth } from './synth';
import { registerTrace } from './trace';
import { registerValidate } from './validate';
import { endQuietlyOnClosedOutput, type Output, processOutput } from './output';
import { registerNetpol } from './netpol';
import { registerGraph } from './graph';
import { EXIT_FAILED, EXIT_INVALID, ExitStatus } from './exit-codes';

export { EXIT_FAILED, EXIT_INVALID };

/** The program; `status` receives the exit status its commands set. */
export function buildProgram(out: Output = processOutput, status: ExitStatus = new ExitStatus()): Command {
  const program = new Command('netstrap')
    .description('Typed Kubernetes cluster networking: synthesize manifests and provision nodes over SSH.')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: out.out, writeErr: out.err })
    .exitOverride();
  registerValidate(program, out);
  registerSynth(program, out);
  registerSchema(program);
  registerPlan(program, status);
  registerBootstrap(program, status);
  registerVerify(program, status);
  registerDiagnose(program, status);
  registerTrace(program, status);
  registerReset(program, status);
  registerLab(program, status);
  registerNetpol(program, status);
  registerGraph(program, out);
  // Every subcommand rejects unknown flags and extra arguments, and reports usage errors with exit code 2.
  for (const command of program.commands) {
    command.exitOverride().allowExcessArguments(false).configureOutput({ writeOut: out.out, writeErr: out.err });
  }
  return program;
}

/**
 * Runs one netstrap command line (`argv` without node and script) and returns its exit code; what it prints goes
 * to `out`. The CLI and the in-process tests (test/model/fuzz.test.ts) both go through here.
 */
export async function run(args: string[], out: Output = processOutput): Promise<number> {
  const status = new ExitStatus();
  try {
    await buildProgram(out, status).parseAsync(args, { from: 'user' });
    return status.code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_INVALID;
    if (error instanceof InputError) {
      for (const line of error.lines()) out.err(`${line}\n`);
      return EXIT_INVALID;
    }
    out.err(`netstrap: ${(error as Error).stack ?? error}\n`);
    return EXIT_FAILED;
  }
}

/** Runs a command line and collects what it prints: for tests, which cost no process per case. */
export async function runCaptured(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

export async function main(argv: string[]): Promise<void> {
  endQuietlyOnClosedOutput();
  process.exitCode = await run(argv.slice(2));
}
