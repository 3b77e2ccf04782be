/**
 * Test support for bad input: get at the InputError a call throws. Any other error is rethrown, so a test that
 * expects an InputError fails on a crash instead of passing by accident.
 */
import { formatPath, InputError } from '../../src/model/errors';

/** The InputError `fn` throws, or undefined when it returns; any other error is rethrown. */
function caught(fn: () => unknown): InputError | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  return undefined;
}

/** The InputError `fn` throws; fails the test when `fn` throws nothing. */
export function thrown(fn: () => unknown): InputError {
  const error = caught(fn);
  if (!error) throw new Error('expected an InputError, nothing was thrown');
  return error;
}

/** The message of the InputError `fn` throws: one `source: path: message` line per issue. */
export function rejection(fn: () => unknown): string {
  return thrown(fn).message;
}

/** The issues `fn` reports, as the CLI prints them (`source: path: message`); none when `fn` returns. */
export function issueLines(fn: () => unknown): string[] {
  return caught(fn)?.lines() ?? [];
}

/** The issues `fn` reports as `path: message`, without the source; none when `fn` returns. */
export function fieldIssues(fn: () => unknown): string[] {
  return caught(fn)?.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`) ?? [];
}
