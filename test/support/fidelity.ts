/**
 * Fidelity of synthesized objects to upstream manifests: "our default output equals the upstream YAML".
 *
 * Compares two lists of parsed Kubernetes objects (e.g. `synthValid(chart)` against
 * `readYamlDocuments(reference(...))`):
 * 1. the same set of objects, identified by (apiVersion, kind, namespace, name);
 * 2. for each pair, every field equal, recursively (objects by key, arrays by index, scalars by `===`, so `80`
 *    and `"80"` differ and `null` differs from an absent key);
 * 3. except differences covered by an explicit allow-list, where every entry names one object, one field path and
 *    the reason the difference is acceptable. An entry that covers no difference is itself reported, so the list
 *    cannot outlive the differences it excuses.
 *
 * Usage in a test:
 * ```ts
 * const allow: Allowance[] = [
 *   { object: 'DaemonSet kube-system/weave-net', path: 'spec.template.spec.initContainers[0].env',
 *     reason: 'upstream writes `env:` with no value (null); the API server treats null as unset' },
 * ];
 * expectFidelity(synthValid(chart), readYamlDocuments(reference('weave', 'x.yaml')), allow);
 * ```
 */
import { formatPath } from '../../src/model/errors';
import type { Manifest } from './k8s';

/** One accepted difference between synthesized output and the reference. */
export interface Allowance {
  /** The object, as `Kind namespace/name` or `Kind name` for cluster-scoped objects (see {@link objectLabel}). */
  readonly object: string;
  /**
   * Field path as printed by formatPath, e.g. `spec.template.spec.containers[0].env`. It covers the difference at
   * exactly that path and every difference below it.
   */
  readonly path: string;
  /** Why this difference is acceptable. Required: an allowance without a reason is not an allowance. */
  readonly reason: string;
}

/** One field whose value differs. `undefined` means the key is absent on that side. */
export interface FieldDifference {
  readonly object: string;
  readonly path: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

export interface FidelityReport {
  /** Objects of the reference that were not synthesized. */
  readonly missing: string[];
  /** Objects synthesized that the reference does not have. */
  readonly unexpected: string[];
  /** Field differences not covered by an allowance. */
  readonly differences: FieldDifference[];
  /** Field differences covered by an allowance (for information). */
  readonly allowed: FieldDifference[];
  /** Allowances that covered nothing: stale entries, to be removed. */
  readonly unusedAllowances: Allowance[];
}

/** `Kind namespace/name`, or `Kind name` for a cluster-scoped object. */
export function objectLabel(object: Manifest): string {
  const ns = object.metadata?.namespace;
  return ns ? `${object.kind} ${ns}/${object.metadata.name}` : `${object.kind} ${object.metadata?.name}`;
}

function identity(object: Manifest): string {
  return `${object.apiVersion} ${objectLabel(object)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every leaf-level difference between `expected` and `actual`, with its path. */
function diff(
  expected: unknown,
  actual: unknown,
  path: Array<string | number>,
  out: Array<{ path: Array<string | number>; expected: unknown; actual: unknown }>,
): void {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) diff(expected[i], actual[i], [...path, i], out);
    return;
  }
  if (isPlainObject(expected) && isPlainObject(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const key of [...keys].sort()) {
      // A key present with value undefined is the same as an absent key (JSON has no undefined).
      diff(expected[key], actual[key], [...path, key], out);
    }
    return;
  }
  if (expected !== actual) out.push({ path, expected, actual });
}

function covers(allowance: Allowance, object: string, path: string): boolean {
  if (allowance.object !== object) return false;
  return path === allowance.path || path.startsWith(`${allowance.path}.`) || path.startsWith(`${allowance.path}[`);
}

/** Compares synthesized objects with reference objects; see the module comment for the rules. */
export function compareManifests(
  actual: Manifest[],
  expected: Manifest[],
  allow: ReadonlyArray<Allowance> = [],
): FidelityReport {
  for (const allowance of allow) {
    if (!allowance.reason || allowance.reason.trim().length < 10) {
      throw new Error(`allowance ${allowance.object} ${allowance.path} needs a reason`);
    }
  }
  const byId = (objects: Manifest[]) => {
    const map = new Map<string, Manifest>();
    for (const object of objects) {
      const id = identity(object);
      if (map.has(id)) throw new Error(`${id} appears twice`);
      map.set(id, object);
    }
    return map;
  };
  const actualById = byId(actual);
  const expectedById = byId(expected);
  const missing = [...expectedById.keys()].filter((id) => !actualById.has(id));
  const unexpected = [...actualById.keys()].filter((id) => !expectedById.has(id));

  const differences: FieldDifference[] = [];
  const allowed: FieldDifference[] = [];
  const used = new Set<Allowance>();
  for (const [id, want] of expectedById) {
    const got = actualById.get(id);
    if (!got) continue;
    const object = objectLabel(want);
    const found: Array<{ path: Array<string | number>; expected: unknown; actual: unknown }> = [];
    diff(want, got, [], found);
    for (const d of found) {
      const difference = { object, path: formatPath(d.path), expected: d.expected, actual: d.actual };
      const allowance = allow.find((a) => covers(a, object, difference.path));
      if (allowance) {
        used.add(allowance);
        allowed.push(difference);
      } else differences.push(difference);
    }
  }
  return { missing, unexpected, differences, allowed, unusedAllowances: allow.filter((a) => !used.has(a)) };
}

/** A readable account of everything that is wrong in a report; empty when the output is faithful. */
export function formatReport(report: FidelityReport): string {
  const lines: string[] = [];
  for (const id of report.missing) lines.push(`missing object: ${id}`);
  for (const id of report.unexpected) lines.push(`unexpected object: ${id}`);
  for (const d of report.differences) {
    lines.push(`${d.object}: ${d.path}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}`);
  }
  for (const a of report.unusedAllowances)
    lines.push(`allowance covers no difference (remove it): ${a.object}: ${a.path}`);
  return lines.join('\n');
}

/**
 * Throws with the full list of problems unless `actual` equals `expected` up to the allow-list.
 * Returns the report (e.g. to assert on `allowed`).
 */
export function expectFidelity(
  actual: Manifest[],
  expected: Manifest[],
  allow: ReadonlyArray<Allowance> = [],
): FidelityReport {
  const report = compareManifests(actual, expected, allow);
  const problems = formatReport(report);
  if (problems) throw new Error(`synthesized objects differ from the reference:\n${problems}`);
  return report;
}
