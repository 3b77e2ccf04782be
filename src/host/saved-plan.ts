/**
 * A saved plan, as Terraform saves one: `plan --out FILE` writes what `plan` found, and `bootstrap --plan FILE`
 * applies exactly that, or refuses. Per node it holds the changes (with their commands and file contents) and a
 * digest of each fact the plan was made from; for the run, the cluster file's digest and the options that shaped
 * the plan (`--only`, `--keep-removed`).
 *
 * bootstrap --plan checks, without any round trip of its own:
 * - the cluster file is the one planned (its sha256), else nothing is done (exit 2);
 * - per node, in the fact round trip it makes anyway: every fact reads as it did (else the node is refused, naming
 *   the facts that moved), and the plan made now from those facts is the saved one (else it was edited, or made by
 *   another netstrap: refused). So what runs is what was reviewed, and only commands netstrap itself would send.
 *
 * A fact's digest is taken of its parsed value (only the fields netstrap reads), so what the kernel changes on its
 * own (address lifetimes, counters, the SSH session's port) does not make a plan stale.
 */
import { createHash } from 'crypto';
import { z } from 'zod';
import type { Issue } from '../model/errors';
import type { Cluster, ClusterNode } from '../model/schema';
import type { FactReader, FactSet } from './fact';
import { RUN_SERIAL_FACT } from './ownership';
import type { Change } from './types';

export const SAVED_PLAN_FORMAT = 1;

/** One node's part of a saved plan. */
export interface SavedNodePlan {
  readonly node: string;
  /** Fact name → sha256 of its parsed value, as the plan read it. */
  readonly facts: Readonly<Record<string, string>>;
  readonly changes: ReadonlyArray<Change>;
}

export interface SavedPlan {
  readonly format: typeof SAVED_PLAN_FORMAT;
  readonly cluster: string;
  /** The cluster file the plan was made from: its path as given, and its sha256. */
  readonly clusterFile: { readonly path: string; readonly sha256: string };
  readonly createdAt: string;
  /** `--keep-removed` of the plan: the verification after apply must plan the same way. */
  readonly keepRemoved: boolean;
  readonly nodes: ReadonlyArray<SavedNodePlan>;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** JSON with object keys sorted and Maps and Sets as arrays: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  const normal = (v: unknown): unknown => {
    if (v instanceof Map) return [...v.entries()].map(([k, e]) => [normal(k), normal(e)]);
    if (v instanceof Set) return [...v].map(normal);
    if (Array.isArray(v)) return v.map(normal);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v)
          .filter(([, e]) => e !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, e]) => [k, normal(e)]),
      );
    return v;
  };
  return JSON.stringify(normal(value)) ?? 'null';
}

/** The digest of every fact `readers` read for `node` (once per name), of its parsed value. */
export function factDigests(
  readers: ReadonlyArray<FactReader>,
  node: ClusterNode,
  cluster: Cluster,
  facts: FactSet,
): Record<string, string> {
  const digests: Record<string, string> = {};
  for (const reader of readers) {
    for (const fact of reader.facts(node, cluster)) {
      if (!(fact.name in digests)) digests[fact.name] = sha256(canonicalJson(facts.get(fact)));
    }
  }
  return digests;
}

/** The facts that read differently now than when the plan was made (or were read only then, or only now). */
export function movedFacts(planned: Readonly<Record<string, string>>, now: Readonly<Record<string, string>>): string[] {
  const names = [...new Set([...Object.keys(planned), ...Object.keys(now)])];
  return names.filter((name) => planned[name] !== now[name]);
}

/** True when two plans are the same changes, in the same order, with the same commands. */
export function samePlan(a: ReadonlyArray<Change>, b: ReadonlyArray<Change>): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** What a plan run found on a host (a HostResult): its changes, and its facts' digests when it was read. */
export interface PlannedHost {
  readonly node: string;
  readonly status: string;
  readonly changes: ReadonlyArray<Change>;
  readonly factDigests?: Readonly<Record<string, string>>;
}

/**
 * The saved plan of a plan run, or why there is none: a node that could not be read has no plan to save (as
 * Terraform writes no plan that errored).
 */
export function savePlan<H extends PlannedHost>(
  hosts: ReadonlyArray<H>,
  cluster: string,
  clusterFile: SavedPlan['clusterFile'],
  keepRemoved: boolean,
  createdAt = new Date(),
): SavedPlan | { readonly unread: ReadonlyArray<H> } {
  const unread = hosts.filter((h) => h.factDigests === undefined);
  if (unread.length > 0) return { unread };
  return {
    format: SAVED_PLAN_FORMAT,
    cluster,
    clusterFile,
    createdAt: createdAt.toISOString(),
    keepRemoved,
    nodes: hosts.map((h) => ({ node: h.node, facts: h.factDigests!, changes: h.changes })),
  };
}

const commandSchema = z.union([
  z.strictObject({ argv: z.array(z.string()) }),
  z.strictObject({ writeFile: z.string(), content: z.string(), mode: z.string().optional() }),
  z.strictObject({ removeFile: z.string() }),
]);
const ownedSchema = z.strictObject({
  kind: z.string(),
  id: z.string(),
  prior: z.unknown(),
  spec: z.unknown().optional(),
});
const changeSchema = z.strictObject({
  kind: z.string(),
  target: z.string(),
  before: z.string(),
  after: z.string(),
  diff: z.string().optional(),
  apply: z.array(commandSchema),
  revert: z.array(commandSchema),
  owns: z.array(ownedSchema).optional(),
  releases: z.array(ownedSchema).optional(),
  afterAdditions: z.boolean().optional(),
});
const savedPlanSchema = z.strictObject({
  format: z.literal(SAVED_PLAN_FORMAT),
  cluster: z.string(),
  clusterFile: z.strictObject({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  createdAt: z.string(),
  keepRemoved: z.boolean(),
  nodes: z.array(
    z.strictObject({
      node: z.string(),
      facts: z.record(z.string(), z.string()),
      changes: z.array(changeSchema),
    }),
  ),
});

/** A saved plan file's text → the plan, or the issues (field path and what is wrong) that make it unreadable. */
export function parseSavedPlan(text: string): SavedPlan | { readonly issues: Issue[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { issues: [{ path: [], message: `not a saved netstrap plan (not JSON: ${(error as Error).message})` }] };
  }
  const result = savedPlanSchema.safeParse(parsed);
  if (result.success) return result.data as SavedPlan;
  const format = (parsed as { format?: unknown } | null)?.format;
  if (format !== SAVED_PLAN_FORMAT)
    return {
      issues: [
        {
          path: ['format'],
          message: `not a saved netstrap plan of format ${SAVED_PLAN_FORMAT} (format ${JSON.stringify(format)}): make it again with netstrap plan --out`,
        },
      ],
    };
  return {
    issues: result.error.issues.slice(0, 5).map((issue) => ({
      path: issue.path.filter((p): p is string | number => typeof p !== 'symbol'),
      message: issue.message,
    })),
  };
}

/** Why a saved plan cannot be applied with this cluster file: another cluster, or a file changed since. */
export function savedPlanIssues(plan: SavedPlan, cluster: string, clusterFileSha256: string): Issue[] {
  const issues: Issue[] = [];
  if (plan.cluster !== cluster)
    issues.push({
      path: ['cluster'],
      message: `the plan is of cluster ${JSON.stringify(plan.cluster)}, the cluster file is of ${JSON.stringify(cluster)}`,
    });
  else if (plan.clusterFile.sha256 !== clusterFileSha256)
    issues.push({
      path: ['clusterFile', 'sha256'],
      message:
        `the cluster file changed since the plan was made (${plan.clusterFile.path}: sha256 ${plan.clusterFile.sha256.slice(0, 12)}… ` +
        `then, ${clusterFileSha256.slice(0, 12)}… now); nothing was done: run netstrap plan --out again and review it`,
    });
  return issues;
}

/** Most moved facts a refusal names; the rest are counted. */
const MAX_NAMED = 6;

const IP_FACT = /^(?:netns:(.+):)?ip-(link|addr|route)$/;
const IP_WORDS: Readonly<Record<string, string>> = { link: 'links', addr: 'addresses', route: 'routes' };

/** A fact in words: `routes`, `addresses in netns red`, `/etc/hosts` (a file fact's argv ends with its path). */
export function describeFact(name: string, argv?: ReadonlyArray<string>): string {
  const ip = IP_FACT.exec(name);
  if (ip) return `${IP_WORDS[ip[2]]}${ip[1] ? ` in netns ${ip[1]}` : ''}`;
  if (name.startsWith('file:') && argv?.length) return argv[argv.length - 1];
  return name;
}

/**
 * The refusal of a node whose facts moved since the plan: what moved (another netstrap run first: it explains the
 * rest), and what to do. `argvOf` gives a fact's command by name, for naming files by their path.
 */
export function movedMessage(
  node: string,
  moved: ReadonlyArray<string>,
  argvOf: (name: string) => ReadonlyArray<string> | undefined = () => undefined,
): string {
  const run = moved.includes(RUN_SERIAL_FACT) ? 'another netstrap run applied changes since; ' : '';
  const named = moved.filter((name) => name !== RUN_SERIAL_FACT).map((name) => describeFact(name, argvOf(name)));
  const listed =
    named.length > MAX_NAMED
      ? `${named.slice(0, MAX_NAMED).join(', ')} and ${named.length - MAX_NAMED} more`
      : named.join(', ');
  return (
    `refused: ${node} changed since the plan was made (${run}${listed} read differently now); nothing was applied: ` +
    'run netstrap plan --out again and review it'
  );
}

export const EDITED_MESSAGE =
  'refused: the saved plan is not the plan netstrap makes from the same facts and cluster file (edited, or made ' +
  'by another netstrap version); nothing was applied (run netstrap plan --out again)';
