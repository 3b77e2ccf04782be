/** zod's issues in netstrap's words: each names the field path and the value found there. */
import { z } from 'zod';
import { Issue, show } from './errors';

/** Fields whose value is never echoed in an error message (a literal password must not end up in CI logs). */
const SECRET_FIELD = /passw(or)?d|token/i;

/** zod issues → netstrap issues, each naming the value found at its path. */
export function zodIssues(error: z.ZodError, raw: unknown): Issue[] {
  return error.issues.map((issue) => {
    const found = valueAt(raw, issue.path);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      const shown = issue.keys
        .slice(0, 10)
        .map((k) => show(k))
        .join(', ');
      message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${shown}${issue.keys.length > 10 ? ` and ${issue.keys.length - 10} more` : ''}`;
    } else if (found.present) {
      if (!SECRET_FIELD.test(issue.path.join('.'))) message = `${message} (got ${show(found.value)})`;
    } else if (issue.code === 'invalid_type' || issue.code === 'invalid_union') {
      message = 'is required';
    }
    return { path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message };
  });
}

export function valueAt(root: unknown, at: ReadonlyArray<PropertyKey>): { present: boolean; value?: unknown } {
  let current: unknown = root;
  for (const key of at) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return { present: false };
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return { present: true, value: current };
}
