/**
 * The API server's rules for object metadata and the small value types every resource kind shares: object names,
 * label keys and values, label selectors, port numbers and port names. Each check returns a message naming the
 * value (or undefined) or Issues with paths relative to the value checked, so constructs and the cluster-file
 * validator report the same thing.
 */
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from './schema';
import { Issue, show, under } from './errors';

/** RFC 1035 label: what Kubernetes requires of Service names (they become DNS names, so a letter first). */
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** The name part of a label key ("qualified name"), and a non-empty label value. */
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** IANA service name (a named port): lower-case letters, digits and '-', at least one letter. */
const IANA_SVC_NAME = /^[-a-z0-9]+$/;

export type NameRule = 'DNS-1123 label' | 'DNS-1123 subdomain' | 'DNS-1035 label';

/** Checks an object or port name against a DNS rule. */
export function checkName(value: unknown, rule: NameRule): string | undefined {
  if (typeof value !== 'string' || value === '') return `name ${show(value)} must be a non-empty string`;
  const max = rule === 'DNS-1123 subdomain' ? 253 : 63;
  if (value.length > max) return `${show(value)} is longer than ${max} characters (${rule})`;
  const pattern =
    rule === 'DNS-1123 label' ? DNS1123_LABEL : rule === 'DNS-1035 label' ? DNS1035_LABEL : DNS1123_SUBDOMAIN;
  if (pattern.test(value)) return undefined;
  const what =
    rule === 'DNS-1035 label'
      ? 'lower-case letters, digits and "-", starting with a letter and ending with a letter or digit'
      : rule === 'DNS-1123 label'
        ? 'lower-case letters, digits and "-", starting and ending with a letter or digit'
        : 'lower-case letters, digits, "-" and ".", starting and ending with a letter or digit';
  return `${show(value)} is not a valid ${rule}: use ${what}`;
}

/** Checks a label or annotation key: `[prefix/]name`, prefix a DNS subdomain, name at most 63 characters. */
export function checkQualifiedName(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return `key ${show(key)} may contain at most one "/"`;
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix === '' || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) {
      return `key ${show(key)} has an invalid prefix ${show(prefix)}: it must be a DNS-1123 subdomain such as example.com`;
    }
  }
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return `key ${show(key)} is invalid: the name part must be 1-63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Checks a label value: empty, or at most 63 characters of letters, digits, "-", "_", "." with alphanumeric ends. */
export function checkLabelValue(value: unknown): string | undefined {
  if (typeof value !== 'string')
    return `label value ${show(value)} must be a string (quote numbers and booleans in YAML)`;
  if (value === '' || (value.length <= 63 && QUALIFIED_NAME.test(value))) return undefined;
  return `label value ${show(value)} is invalid: at most 63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit`;
}

/** Checks a map of labels (keys and values); paths are the keys. */
export function checkLabels(labels: Readonly<Record<string, unknown>> | undefined): Issue[] {
  const issues: Issue[] = [];
  for (const key in labels) {
    const keyProblem = checkQualifiedName(key);
    if (keyProblem) issues.push({ path: [key], message: keyProblem });
    const valueProblem = checkLabelValue(labels[key]);
    if (valueProblem) issues.push({ path: [key], message: valueProblem });
  }
  return issues;
}

/** The API server's limit on all annotations of an object together (keys and values). */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** Checks annotation keys (values are free text) and their total size. */
export function checkAnnotations(annotations: Readonly<Record<string, unknown>> | undefined): Issue[] {
  const issues: Issue[] = [];
  let total = 0;
  for (const key in annotations) {
    total += key.length + (typeof annotations[key] === 'string' ? Buffer.byteLength(annotations[key] as string) : 0);
    const problem = checkQualifiedName(key);
    if (problem) issues.push({ path: [key], message: problem });
    if (typeof annotations[key] !== 'string')
      issues.push({ path: [key], message: `annotation value ${show(annotations[key])} must be a string` });
  }
  if (total > MAX_ANNOTATIONS_BYTES)
    issues.push({
      path: [],
      message: `total ${total} bytes; the API server allows at most ${MAX_ANNOTATIONS_BYTES} (256 KiB) of annotations per object`,
    });
  return issues;
}

/** A label selector as the API spells it. */
export interface LabelSelector {
  /** Labels the object must carry, all of them (AND). @default - no label required */
  readonly matchLabels?: Readonly<Record<string, string>>;
  /** Set-based requirements, all of them (AND). @default - none */
  readonly matchExpressions?: ReadonlyArray<{
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    readonly values?: ReadonlyArray<string>;
  }>;
}

/** Checks a label selector: keys, values, and the operator/values pairing the API server enforces. */
export function checkLabelSelector(selector: LabelSelector): Issue[] {
  const issues: Issue[] = [];
  issues.push(...under(['matchLabels'], checkLabels(selector.matchLabels)));
  (selector.matchExpressions ?? []).forEach((expr, i) => {
    const at = ['matchExpressions', i];
    const keyProblem = checkQualifiedName(expr.key);
    if (keyProblem) issues.push({ path: [...at, 'key'], message: keyProblem });
    const values = expr.values ?? [];
    if ((expr.operator === 'In' || expr.operator === 'NotIn') && values.length === 0) {
      issues.push({ path: [...at, 'values'], message: `operator ${show(expr.operator)} needs at least one value` });
    } else if ((expr.operator === 'Exists' || expr.operator === 'DoesNotExist') && values.length > 0) {
      issues.push({
        path: [...at, 'values'],
        message: `operator ${show(expr.operator)} takes no values (got ${show(values)})`,
      });
    } else if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(expr.operator)) {
      issues.push({
        path: [...at, 'operator'],
        message: `operator ${show(expr.operator)} must be In, NotIn, Exists or DoesNotExist`,
      });
    }
    values.forEach((value, j) => {
      const problem = checkLabelValue(value);
      if (problem) issues.push({ path: [...at, 'values', j], message: problem });
    });
  });
  return issues;
}

/** Checks a port number: a whole number 1-65535. */
export function checkPortNumber(value: unknown, field = 'port'): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return undefined;
  return `${field} ${show(value)} must be a whole number 1-65535`;
}

/** Checks a port name as Kubernetes requires for named container ports (IANA_SVC_NAME). */
export function checkPortName(value: string): string | undefined {
  if (
    value.length > 15 ||
    !IANA_SVC_NAME.test(value) ||
    !/[a-z]/.test(value) ||
    value.includes('--') ||
    value.startsWith('-') ||
    value.endsWith('-')
  ) {
    return `port name ${show(value)} is invalid: 1-15 lower-case letters, digits and "-" with at least one letter, no "--", not starting or ending with "-"`;
  }
  return undefined;
}

/** Object metadata as construct props and the cluster file spell it. */
export interface ObjectMetaInput {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Checks name, namespace, labels and annotations; paths are the field names. */
export function checkObjectMeta(meta: ObjectMetaInput, nameRule: NameRule): Issue[] {
  const issues: Issue[] = [];
  const nameProblem = checkName(meta.name, nameRule);
  if (nameProblem) issues.push({ path: ['name'], message: nameProblem });
  if (meta.namespace !== undefined) {
    const problem = checkName(meta.namespace, 'DNS-1123 label');
    if (problem) issues.push({ path: ['namespace'], message: `namespace ${problem}` });
  }
  issues.push(...under(['labels'], checkLabels(meta.labels)));
  issues.push(...under(['annotations'], checkAnnotations(meta.annotations)));
  return issues;
}
