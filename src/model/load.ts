/**
 * Cluster file → validated model. The only way netstrap reads a cluster file: YAML parse, schema, then every
 * semantic check. Nothing is written and no connection is made before this has returned without issues.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isUtf8 } from 'buffer';
import { errorsOf, InputError, Issue, under, warningsOf } from './errors';
import type { z } from 'zod';
import { objectIssues, zodIssues } from './zod-issues';
import { canonicalizeHosts } from './canonical';
import { resolveCluster } from './resolve';
import { type Cluster, clusterSchema, ingressSchema, networkPolicySchema, serviceSchema } from './schema';
import { decodeNulls } from './decode';
import { checkService } from './checks/service';
import { checkIngress } from './checks/ingress';
import { checkNetworkPolicy } from './checks/network-policy';
import { tlsFileIssues } from './tls-files';
import { NetworkLayout } from './layout';
import { validateCluster } from './validate';
import { loadYamlDocuments } from './yaml';
import { type LineOf, SourceLines } from './source-lines';

/** A cluster file after every check: the resolved cluster, its network layout and where it came from. */
export interface ClusterModel {
  readonly file: string;
  /** Directory of the cluster file: relative paths inside it (TLS cert files...) are resolved against it. */
  readonly baseDir: string;
  /** The parsed document in canonical spelling, with everything derived from it (resolve.ts). */
  readonly cluster: Cluster;
  readonly layout: NetworkLayout;
  /** Accepted but surely a mistake (severity 'warning', cluster-file paths); the CLI prints them on stderr. */
  readonly warnings: readonly Issue[];
  /**
   * The line of a field path in the file, for issues found after loading (lock-outs, lab): see ./source-lines.ts.
   * Absent for a cluster checked as an object (checkCluster).
   */
  readonly lineOf?: LineOf;
}

/** What loading checks besides the schema and the semantic rules. */
export interface LoadOptions {
  /**
   * Trace every probe through the model and reject one that cannot pass. Off for `netstrap trace`, which
   * is how a user finds out why. @default true
   */
  readonly traceProbes?: boolean;
  /**
   * The command connects to the nodes (plan, bootstrap, verify, reset, diagnose): a node's ssh.identityFile that
   * cannot be read here is an error; for the others a warning (src/model/ssh-identity.ts). @default false
   */
  readonly connects?: boolean;
}

/**
 * Limits on what a cluster file may be, so that a hostile file is rejected in milliseconds instead of exhausting
 * time, memory or the stack. Every real file is far below them: the bench's 20 000-object cluster is 9.7 MB, about
 * 12 levels deep and uses no aliases.
 */
export const LIMITS = {
  /** Size of the file (and of the text given to parseClusterText). */
  documentBytes: 64 * 1024 * 1024,
  /** Nesting of mappings and sequences; the schema itself needs about 10. */
  depth: 100,
  /** What aliases may add to the document (characters of keys and scalars, counting each expansion). */
  aliasExpansion: 4 * 1024 * 1024,
} as const;

/** Reads, parses and checks a cluster file. Throws InputError naming the file, each field path and value. */
export function loadClusterFile(file: string, options: LoadOptions = {}): ClusterModel {
  let bytes: Buffer;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new InputError(file, [{ path: [], message: 'is not a regular file' }]);
    if (stat.size > LIMITS.documentBytes) throw new InputError(file, [{ path: [], message: tooBig(stat.size) }]);
    bytes = fs.readFileSync(file);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(file, [{ path: [], message: `cannot read the cluster file: ${(error as Error).message}` }]);
  }
  const bad = invalidUtf8Offset(bytes);
  if (bad !== undefined) {
    throw new InputError(file, [
      {
        path: [],
        message: `is not UTF-8 text: invalid byte 0x${bytes[bad].toString(16).padStart(2, '0')} at byte offset ${bad}`,
      },
    ]);
  }
  return parseClusterText(bytes.toString('utf8'), file, options);
}

function tooBig(size: number): string {
  return `is ${size} bytes; a cluster file may hold at most ${LIMITS.documentBytes} bytes (64 MiB)`;
}

/** Byte offset of the first byte that is not part of a valid UTF-8 sequence, or undefined for valid UTF-8. */
export function invalidUtf8Offset(bytes: Uint8Array): number | undefined {
  if (isUtf8(bytes)) return undefined;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const length =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    // Second byte ranges exclude overlong forms, surrogates and code points above U+10FFFF (RFC 3629).
    const low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const high = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? low : 0x80) || c > (k === 1 ? high : 0xbf))
        return i + k < bytes.length ? i + k : i;
    }
    i += length;
  }
  return undefined;
}

/**
 * Parses and checks cluster-file text; `file` names it in error messages and anchors relative paths.
 * js-yaml with the YAML 1.2 core schema (no timestamps or other implicit types): ~10x faster than `yaml` on large
 * files, which is most of `netstrap synth`'s time at 20 000 objects. js-yaml shares an aliased node instead of
 * copying it, so an alias bomb parses quickly; {@link measure} then rejects it before anything walks the copies.
 */
export function parseClusterText(text: string, file: string, options: LoadOptions = {}): ClusterModel {
  if (text.length > LIMITS.documentBytes) throw new InputError(file, [{ path: [], message: tooBig(text.length) }]);
  const documents = loadYamlDocuments(text, file);
  // Empty documents (only comments, or a stray `---`) do not count.
  const contents = documents.filter((doc) => doc !== null && doc !== undefined);
  if (contents.length !== 1) {
    throw new InputError(file, [
      { path: [], message: `expected exactly one YAML document (one cluster), found ${contents.length}` },
    ]);
  }
  // Aliases need an anchor (`&name`): without any "&" in the text only the depth is measured, which is cheaper.
  const problem = text.includes('&') ? measure(contents[0], text.length + LIMITS.aliasExpansion) : tooDeep(contents[0]);
  if (problem) throw new InputError(file, [problem]);
  return checkClusterText(text, contents[0], file, path.dirname(path.resolve(file)), options);
}

/**
 * {@link checkCluster} of a document read from `text`: every issue with a path gets its line in the text, found
 * only when there is an issue (./source-lines.ts parses the text again then; a file without issues is parsed once).
 */
export function checkClusterText(
  text: string,
  document: unknown,
  file: string,
  baseDir: string,
  options: LoadOptions = {},
): ClusterModel {
  const lines = new SourceLines(text);
  let model: ClusterModel;
  try {
    model = checkCluster(document, file, baseDir, options);
  } catch (error) {
    if (error instanceof InputError && error.source === file) throw new InputError(file, lines.locate(error.issues));
    throw error;
  }
  return { ...model, warnings: lines.locate(model.warnings), lineOf: lines.document(0) };
}

/** The path to a node nested deeper than LIMITS.depth, as an issue; for documents without aliases. */
export function tooDeep(root: unknown): Issue | undefined {
  const at: Array<string | number> = [];
  const deeper = (value: unknown): boolean => {
    if (value === null || typeof value !== 'object') return false;
    if (at.length >= LIMITS.depth) return true;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (item !== null && typeof item === 'object') {
          at.push(i);
          if (deeper(item)) return true;
          at.pop();
        }
      }
    } else {
      for (const key in value) {
        const item = (value as Record<string, unknown>)[key];
        if (item !== null && typeof item === 'object') {
          at.push(key);
          if (deeper(item)) return true;
          at.pop();
        }
      }
    }
    return false;
  };
  return deeper(root)
    ? { path: at.slice(0, 4), message: `YAML: nesting is too deep (at most ${LIMITS.depth} levels)` }
    : undefined;
}

/**
 * Checks the shape of a parsed document before the schema walks it: nesting depth, a node that contains itself (an
 * alias to an enclosing anchor) and the size with every alias expanded (memoized per node, so linear in the
 * distinct nodes). `budget` is in characters of keys and scalars, plus one per node.
 */
export function measure(root: unknown, budget: number): Issue | undefined {
  const sizes = new Map<object, number>();
  const open = new Set<object>();
  let problem: Issue | undefined;
  const at: Array<string | number> = []; // path of the node being measured (pushed and popped, not copied)
  const sizeOf = (value: unknown): number => {
    if (problem) return 0;
    if (typeof value === 'string') return value.length + 1;
    if (value === null || typeof value !== 'object') return 1;
    const known = sizes.get(value);
    if (known !== undefined) return known;
    if (open.has(value)) {
      problem = {
        path: [...at],
        message: 'YAML: an alias refers to a node that contains it (the document would be infinite)',
      };
      return 0;
    }
    if (at.length >= LIMITS.depth) {
      problem = { path: at.slice(0, 4), message: `YAML: nesting is too deep (at most ${LIMITS.depth} levels)` };
      return 0;
    }
    open.add(value);
    let size = 1;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        at.push(i);
        size += sizeOf(value[i]);
        at.pop();
      }
    } else {
      for (const key of Object.keys(value)) {
        at.push(key);
        size += key.length + sizeOf((value as Record<string, unknown>)[key]);
        at.pop();
      }
    }
    open.delete(value);
    sizes.set(value, size);
    return size;
  };
  const total = sizeOf(root);
  if (problem) return problem;
  if (total > budget) {
    return {
      path: [],
      message: `YAML: aliases expand the document to ${total} characters; at most ${LIMITS.aliasExpansion} (4 MiB) more than the file itself are allowed`,
    };
  }
  return undefined;
}

/** Checks an already-parsed cluster object (e.g. built in TypeScript) the same way as a file. */
export function checkCluster(
  raw: unknown,
  file: string,
  baseDir: string = process.cwd(),
  options: LoadOptions = {},
): ClusterModel {
  const decodeWarnings: Issue[] = [];
  const decoded = decodeKubernetes(withNodeDefaults(raw), decodeWarnings);
  const parsed = clusterSchema.safeParse(decoded);
  if (!parsed.success)
    throw new InputError(file, [
      ...zodIssues(parsed.error, decoded),
      ...kubernetesObjectChecks(decoded, parsed.error, baseDir),
    ]);
  const checked = resolveCluster(parsed.data);
  const { layout, issues } = validateCluster(checked, baseDir, options);
  const errors = errorsOf(issues);
  if (errors.length > 0 || !layout) throw new InputError(file, errors);
  const warnings = [...decodeWarnings, ...warningsOf(issues)];
  const { podSubnets, routing } = checked.derived;
  const cluster = resolveCluster(canonicalizeHosts(parsed.data), { podSubnets, routing });
  return { file, baseDir, cluster, layout, warnings };
}

/**
 * `nodeDefaults` applied: each node (a map) takes the default keys it does not set itself; its own value wins whole.
 * The defaults stay in the file, so the schema checks them at their own path too.
 */
function withNodeDefaults(raw: unknown): unknown {
  const isMap = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value);
  if (!isMap(raw) || !isMap(raw.nodeDefaults) || !Array.isArray(raw.nodes)) return raw;
  const defaults = raw.nodeDefaults;
  return { ...raw, nodes: raw.nodes.map((node) => (isMap(node) ? { ...defaults, ...node } : node)) };
}

/**
 * The objects under `kubernetes` are Kubernetes objects: they are decoded as the API server decodes them (null is
 * absent, ./decode.ts) before the schema reads them. The rest of the cluster file is netstrap's own and keeps its
 * own rules.
 */
function decodeKubernetes(raw: unknown, warnings: Issue[]): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const record = raw as Record<string, unknown>;
  if (!Object.hasOwn(record, 'kubernetes')) return raw;
  const out = { ...record };
  Object.defineProperty(out, 'kubernetes', {
    value: record.kubernetes === null ? {} : decodeNulls(record.kubernetes, warnings, ['kubernetes']),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return out;
}

/**
 * When the file has schema errors, the semantic checks of each `kubernetes.*` object with a schema error still run
 * on its parts that parsed, so that a schema error never hides the object's other errors (issue 19). Checks that
 * need the whole file (addresses claimed, Ingress backends found) wait until the schema errors are fixed.
 */
function kubernetesObjectChecks(decoded: unknown, error: z.ZodError, baseDir: string): Issue[] {
  const kubernetes = (decoded as { kubernetes?: Record<string, unknown> } | null)?.kubernetes;
  if (kubernetes === null || typeof kubernetes !== 'object') return [];
  const lists = {
    services: (item: unknown) => objectIssues(serviceSchema, item, checkService, () => []).issues,
    ingresses: (item: unknown) =>
      objectIssues(
        ingressSchema,
        item,
        (ingress) => checkIngress(ingress, { tlsFiles: tlsFileIssues(baseDir) }),
        () => [],
      ).issues,
    networkPolicies: (item: unknown) => objectIssues(networkPolicySchema, item, checkNetworkPolicy, () => []).issues,
  };
  const out: Issue[] = [];
  const done = new Set<string>();
  for (const issue of error.issues) {
    const [head, list, index] = issue.path;
    if (head !== 'kubernetes' || typeof index !== 'number' || !Object.hasOwn(lists, list as PropertyKey)) continue;
    const items = kubernetes[list as keyof typeof lists];
    if (!Array.isArray(items) || done.has(`${String(list)}[${index}]`)) continue;
    done.add(`${String(list)}[${index}]`);
    out.push(
      ...under(['kubernetes', list as string, index], errorsOf(lists[list as keyof typeof lists](items[index]))),
    );
  }
  return out;
}
