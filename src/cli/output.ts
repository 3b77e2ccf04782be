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
 * Prints a loaded cluster file's warnings (accepted but surely a mistake) on stderr as `warning: file: path:
 * message`: never on stdout, where `--json` output must stay pure JSON.
 */
export function printWarnings(
  out: Output,
  model: { readonly file: string; readonly warnings: readonly Issue[] },
): void {
  for (const line of warningLines(model.file, model.warnings)) out.err(`${line}\n`);
}
