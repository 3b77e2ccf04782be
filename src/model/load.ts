/**
 * Cluster file → validated model. The only way netstrap reads a cluster file: YAML parse, schema, then every
 * semantic check. Nothing is written and no connection is made before this has returned without issues.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { InputError, Issue, show } from './errors';
import { Cluster, clusterSchema } from './schema';
import { NetworkPlan } from './plan';
import { validateCluster } from './validate';
import { loadYamlDocuments } from './yaml';

/** A cluster file after every check: the parsed document, its resolved network plan and where it came from. */
export interface ClusterModel {
  readonly file: string;
  /** Directory of the cluster file: relative paths inside it (TLS cert files...) are resolved against it. */
  readonly baseDir: string;
  readonly cluster: Cluster;
  readonly plan: NetworkPlan;
}

/** Reads, parses and checks a cluster file. Throws InputError naming the file, each field path and value. */
export function loadClusterFile(file: string): ClusterModel {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(file, [{ path: [], message: `cannot read the cluster file: ${(error as Error).message}` }]);
  }
  return parseClusterText(text, file);
}

/**
 * Parses and checks cluster-file text; `file` names it in error messages and anchors relative paths.
 * js-yaml with the YAML 1.2 core schema (no timestamps or other implicit types): ~10x faster than `yaml` on large
 * files, which is most of `netstrap synth`'s time at 20 000 objects.
 */
export function parseClusterText(text: string, file: string): ClusterModel {
  const documents = loadYamlDocuments(text, file);
  // Empty documents (only comments, or a stray `---`) do not count.
  const contents = documents.filter((doc) => doc !== null && doc !== undefined);
  if (contents.length !== 1) {
    throw new InputError(file, [{ path: [], message: `expected exactly one YAML document (one cluster), found ${contents.length}` }]);
  }
  return checkCluster(contents[0], file, path.dirname(path.resolve(file)));
}

/** Checks an already-parsed cluster object (e.g. built in TypeScript) the same way as a file. */
export function checkCluster(raw: unknown, file: string, baseDir: string = process.cwd()): ClusterModel {
  const protoKeys = prototypeKeys(raw);
  if (protoKeys.length > 0) throw new InputError(file, protoKeys);
  const parsed = clusterSchema.safeParse(raw);
  if (!parsed.success) throw new InputError(file, zodIssues(parsed.error, raw));
  const { plan, issues } = validateCluster(parsed.data, baseDir);
  if (issues.length > 0 || !plan) throw new InputError(file, issues);
  return { file, baseDir, cluster: parsed.data, plan };
}

/** Fields whose value is never echoed in an error message (a literal password must not end up in CI logs). */
const SECRET_FIELD = /passw(or)?d|token/i;

/** zod issues → netstrap issues, each naming the value found at its path. */
function zodIssues(error: z.ZodError, raw: unknown): Issue[] {
  return error.issues.map((issue) => {
    const found = valueAt(raw, issue.path);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => show(k)).join(', ')}`;
    } else if (found.present) {
      if (!SECRET_FIELD.test(issue.path.join('.'))) message = `${message} (got ${show(found.value)})`;
    } else if (issue.code === 'invalid_type') {
      message = 'is required';
    }
    return { path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message };
  });
}

function valueAt(root: unknown, at: ReadonlyArray<PropertyKey>): { present: boolean; value?: unknown } {
  let current: unknown = root;
  for (const key of at) {
    if (current === null || typeof current !== 'object' || !(key in (current as object))) return { present: false };
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return { present: true, value: current };
}

/**
 * `__proto__` keys anywhere in the document. zod's records drop them silently, so `matchLabels: { __proto__: db }`
 * would become `{}` (a selector matching every pod): refused up front. Iterative: depth is bounded only by the parser.
 */
function prototypeKeys(raw: unknown): Issue[] {
  const issues: Issue[] = [];
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: raw, path: [] }];
  while (stack.length > 0) {
    const { value, path: at } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    for (const [key, child] of Object.entries(value)) {
      const childPath = [...at, Array.isArray(value) ? Number(key) : key];
      if (key === '__proto__') issues.push({ path: at, message: 'key "__proto__" is not allowed' });
      else stack.push({ value: child, path: childPath });
    }
  }
  return issues;
}
