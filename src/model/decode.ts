/**
 * Kubernetes objects as the API server decodes them (Go's encoding/json into typed structs), before any check:
 * YAML `null` (an empty `labels:`, helm's `ingress: null`) is an absent field, as Go leaves a pointer, slice or
 * map nil; a null value in a string map is "" (Go's zero string); a null item of a list of objects is an empty
 * object (Go's zero struct: `ingress: [null]` is the rule `{}`). Used for manifests and for the cluster file's
 * `kubernetes.*` objects alike, so both take what the API server takes.
 */
import { Issue } from './errors';

/** Fields that are string → string maps in the objects netstrap reads (null values are ""). */
const STRING_MAPS = new Set(['labels', 'annotations', 'matchLabels', 'podLabels', 'nodeSelector']);

/** Fields that are lists of objects (a null item is `{}`), where netstrap reads them. */
const OBJECT_LISTS = new Set([
  'ingress',
  'egress',
  'from',
  'to',
  'ports',
  'matchExpressions',
  'containers',
  'initContainers',
  'podIPs',
  'ownerReferences',
  'rules',
  'paths',
  'tls',
  'namespaces',
  'workloads',
  'services',
  'ingresses',
  'networkPolicies',
]);

/**
 * A `selector` is a string map in a Service (and a ReplicationController), a LabelSelector (matchLabels,
 * matchExpressions) in a Deployment and the like: null values mean "" in the first, absent in the second.
 */
function isSelectorMap(value: object): boolean {
  return !Object.keys(value).every((k) => k === 'matchLabels' || k === 'matchExpressions');
}

/**
 * A copy of `value` with nulls decoded as the API server decodes them. `warnings` receives one per null list item
 * that became a rule allowing everything (`ingress: [null]`, `egress: [null]`): accepted, but surely not meant.
 */
export function decodeNulls(value: unknown, warnings?: Issue[], at: Array<string | number> = []): unknown {
  if (Array.isArray(value)) {
    const key = at[at.length - 1];
    const objects = typeof key === 'string' && OBJECT_LISTS.has(key);
    return value.map((item, i) => {
      if (item === null && objects) {
        if (warnings && (key === 'ingress' || key === 'egress'))
          warnings.push({
            path: [...at, i],
            message: `is null, which the API server reads as the empty rule {}: it allows every ${key === 'ingress' ? 'source' : 'destination'} on every port`,
            severity: 'warning',
          });
        return {};
      }
      return decodeNulls(item, warnings, [...at, i]);
    });
  }
  if (value === null || typeof value !== 'object') return value;
  const key = at[at.length - 1];
  const stringMap = (typeof key === 'string' && STRING_MAPS.has(key)) || (key === 'selector' && isSelectorMap(value));
  const out: Record<string, unknown> = {};
  for (const [field, item] of Object.entries(value)) {
    if (item === null) {
      if (stringMap) out[field] = '';
      continue;
    }
    // defineProperty: a `__proto__` key from the input stays a plain field, never the copy's prototype.
    Object.defineProperty(out, field, {
      value: stringMap ? item : decodeNulls(item, warnings, [...at, field]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
