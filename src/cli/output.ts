import { Issue, warningLines } from '../model/errors';

/** Where a command prints: the process's stdout/stderr, or a buffer when a test runs the CLI in-process. */
export interface Output {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export const processOutput: Output = {
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
};

/**
 * Whether to colour what goes to `stream`: only on a terminal, and never when NO_COLOR is set to anything but the
 * empty string (no-color.org) or TERM is `dumb`.
 */
export function colourWanted(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
}

/**
 * The reader of stdout or stderr may go away early (`| head -1`, `grep -q`, a pager quit before the end): Node then
 * reports EPIPE as an 'error' event, which, unhandled, prints "Error: write EPIPE" with a stack. Here what is left to
 * print is dropped and the command ends as it would have, with its own exit code: it is not cut short, since a
 * bootstrap or reset that stopped midway would leave nodes half changed. Any other write error (a full disk under
 * `> file`) is one line on stderr and exit 1.
 */
export function endQuietlyOnClosedOutput(): void {
  const streams = [
    ['stdout', process.stdout],
    ['stderr', process.stderr],
  ] as const;
  for (const [name, stream] of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      // ERR_STREAM_DESTROYED: a write after the stream was closed by an earlier EPIPE.
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
      process.exitCode = 1;
      if (name === 'stdout' && !process.stderr.destroyed)
        process.stderr.write(`netstrap: cannot write to stdout: ${error.message}\n`);
    });
  }
}

/**
 * Prints a loaded cluster file's warnings (accepted but surely a mistake) on stderr as `warning: file: path:
 * message`: never on stdout, where `--json` output must stay pure JSON.
 */
export function printWarnings(
  out: Output,
  model: { readonly file: string; readonly warnings: readonly Issue[] },
): void {
  for (const line of warningLines(model.file, model.warnings)) out.err(`${line}\n`);
}
