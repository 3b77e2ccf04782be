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

/**
 * Every issue of one object: its schema's and, on the parts that parsed, its own checks', so that a schema error
 * never hides the semantic errors of the same object. Parts are the top-level fields and the items of top-level
 * lists: a part with a schema error is left out and the checks run on the rest (their paths keep the original list
 * indexes). A check's issue about a left-out part's field or list as a whole is dropped, as the leaving out may
 * cause it. `value` is the parsed object when the schema found nothing.
 */
export function objectIssues<T>(
  schema: z.ZodType<T>,
  raw: unknown,
  check: (value: T) => Issue[],
  describe: (error: z.ZodError, raw: unknown) => Issue[] = zodIssues,
): { issues: Issue[]; value?: T } {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { issues: check(parsed.data), value: parsed.data };
  const schemaIssues = describe(parsed.error, raw);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { issues: schemaIssues };
  const record = raw as Record<string, unknown>;
  const leftOut = new Set<string>();
  const badItems = new Map<string, Set<number>>();
  for (const issue of parsed.error.issues) {
    const [head, index] = issue.path;
    if (head === undefined) {
      if (issue.code !== 'unrecognized_keys') return { issues: schemaIssues };
      for (const key of issue.keys) leftOut.add(key);
    } else if (Array.isArray(record[String(head)]) && typeof index === 'number') {
      const items = badItems.get(String(head)) ?? new Set<number>();
      badItems.set(String(head), items.add(index));
    } else leftOut.add(String(head));
  }
  const pruned: Record<string, unknown> = {};
  const kept = new Map<string, number[]>();
  for (const [key, value] of Object.entries(record)) {
    if (leftOut.has(key)) continue;
    const bad = badItems.get(key);
    if (bad && Array.isArray(value)) {
      const indexes = value.map((_, i) => i).filter((i) => !bad.has(i));
      kept.set(key, indexes);
      Object.defineProperty(pruned, key, { value: indexes.map((i) => value[i]), enumerable: true });
    } else Object.defineProperty(pruned, key, { value, enumerable: true });
  }
  const again = schema.safeParse(pruned);
  if (!again.success) return { issues: schemaIssues };
  const semantic = check(again.data).flatMap((issue): Issue[] => {
    const [head, index, ...rest] = issue.path;
    if (head === undefined || leftOut.has(String(head))) return [];
    const indexes = kept.get(String(head));
    if (!indexes) return [issue];
    return typeof index === 'number' ? [{ ...issue, path: [head, indexes[index], ...rest] }] : [];
  });
  return { issues: [...schemaIssues, ...semantic] };
}
