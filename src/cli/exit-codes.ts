/**
 * The CLI's exit codes, in a module of their own so that command modules and main.ts both import them without
 * importing each other.
 */
/** A host, a check or the run itself failed (or a change was reverted). */
export const EXIT_FAILED = 1;
/** Invalid input or usage, or a change refused because the cluster file must change: nothing was touched. */
export const EXIT_INVALID = 2;

/**
 * The exit status of one CLI run: a command's action sets it and run() returns it. One per run, passed to the
 * commands explicitly, so that runs in one process (the in-process tests) never see each other's status.
 */
export class ExitStatus {
  code = 0;
}
