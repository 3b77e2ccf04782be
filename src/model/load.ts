/**
 * Cluster file → validated model. The only way netstrap reads a cluster file: YAML parse, schema, then every
 * semantic check. Nothing is written and no connection is made before this has returned without issues.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CORE_SCHEMA, loadAll, YAMLException } from 'js-yaml';
import { z } from 'zod';
import { InputError, Issue, show } from './errors';
import { Cluster, clusterSchema } from './schema';
import { NetworkPlan } from './plan';
import { validateCluster } from './validate';

/** A cluster file after every check: the parsed document, its resolved network plan and where it came from. */
export interface ClusterModel {
  readonly file: string;
  /** Directory of the cluster file: relative paths inside it (TLS cert files...) are resolved against it. */
  readonly baseDir: string;
  readonly cluster: Cluster;
  readonly plan: NetworkPlan;
}

/** What loading checks besides the schema and the semantic rules. */
export interface LoadOptions {
  /**
   * Trace every verify check through the model and reject one that cannot pass. Off for `netstrap trace`, which
   * is how a user finds out why. @default true
   */
  readonly traceChecks?: boolean;
}

/** Reads, parses and checks a cluster file. Throws InputError naming the file, each field path and value. */
export function loadClusterFile(file: string, options: LoadOptions = {}): ClusterModel {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(file, [{ path: [], message: `cannot read the cluster file: ${(error as Error).message}` }]);
  }
  return parseClusterText(text, file, options);
}

/**
 * Parses and checks cluster-file text; `file` names it in error messages and anchors relative paths.
 * js-yaml with the YAML 1.2 core schema (no timestamps or other implicit types): ~10x faster than `yaml` on large
 * files, which is most of `netstrap synth`'s time at 20 000 objects.
 */
export function parseClusterText(text: string, file: string, options: LoadOptions = {}): ClusterModel {
  let documents: unknown[];
  try {
    documents = loadAll(text, undefined, { schema: CORE_SCHEMA, filename: file });
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const at = error.mark ? ` at line ${error.mark.line + 1}, column ${error.mark.column + 1}` : '';
    throw new InputError(file, [{ path: [], message: `YAML: ${error.reason}${at}` }]);
  }
  // Empty documents (only comments, or a stray `---`) do not count.
  const contents = documents.filter((doc) => doc !== null && doc !== undefined);
  if (contents.length !== 1) {
    throw new InputError(file, [{ path: [], message: `expected exactly one YAML document (one cluster), found ${contents.length}` }]);
  }
  return checkCluster(contents[0], file, path.dirname(path.resolve(file)), options);
}

/** Checks an already-parsed cluster object (e.g. built in TypeScript) the same way as a file. */
export function checkCluster(raw: unknown, file: string, baseDir: string = process.cwd(), options: LoadOptions = {}): ClusterModel {
  const parsed = clusterSchema.safeParse(raw);
  if (!parsed.success) throw new InputError(file, zodIssues(parsed.error, raw));
  const { plan, issues } = validateCluster(parsed.data, baseDir, options);
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
