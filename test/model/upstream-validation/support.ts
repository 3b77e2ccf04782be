/**
 * Runs one Kubernetes object through netstrap's two readers and reports the verdict, so the upstream validation
 * tables (kubernetes/kubernetes validation_test.go, translated case by case) can be checked against both:
 * - the manifest path: the object as a YAML file `netstrap netpol` reads (NetworkPolicy only: netpol reads no
 *   Ingress or Service);
 * - the cluster-file path: the object as an entry of `kubernetes.<kind>` of an otherwise valid cluster file,
 *   checked as `netstrap validate` checks it.
 * The verdict is what the API server answers on create: `accept`, `warn` (accepted, with a warning) or `refuse`.
 */
import * as os from 'os';
import { dump } from 'js-yaml';
import { InputError, warningLines } from '../../../src/model/errors';
import { checkCluster } from '../../../src/model/load';
import { emptyInventory } from '../../../src/model/netpol/inventory';
import { addManifests, manifestDocuments, parseDocuments } from '../../../src/model/netpol/manifests';

export type Verdict = 'accept' | 'warn' | 'refuse';

export interface Outcome {
  readonly verdict: Verdict;
  /** The lines netstrap prints: errors for `refuse`, warnings for `warn`. */
  readonly lines: readonly string[];
}

/** A translated upstream case: its name upstream, the object, and the API server's verdict. */
export interface UpstreamCase<T> {
  readonly name: string;
  readonly object: T;
  readonly apiServer: Verdict;
  /** Why the API server's verdict is not the validation function's alone (defaulting, allocation). */
  readonly note?: string;
}

/** A case the cluster file cannot say, with the field it lacks. */
export interface Inexpressible {
  readonly name: string;
  readonly field: string;
}

/** Reads a NetworkPolicy manifest (metadata + spec) as `netstrap netpol` reads a file. */
export function manifestOutcome(object: Record<string, unknown>): Outcome {
  const text = dump({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...object });
  try {
    const { warnings } = addManifests(emptyInventory(), manifestDocuments(parseDocuments(text, 'np.yaml'), 'np.yaml'));
    return { verdict: warnings.length > 0 ? 'warn' : 'accept', lines: warnings };
  } catch (error) {
    if (error instanceof InputError) return { verdict: 'refuse', lines: error.lines() };
    throw error;
  }
}

type Kind = 'services' | 'ingresses' | 'networkPolicies';

/** Backends the Ingress cases route to, in the namespaces upstream uses. */
const BACKENDS = ['default', 'test123'].map((namespace) => ({
  name: 'defaultbackend',
  namespace,
  selector: { app: 'backend' },
  ports: [
    { name: 'http', port: 80 },
    { name: 'https', port: 443 },
  ],
}));

/** The network of the cluster files: single-stack IPv4 unless a case needs both families. */
const IPV4_NETWORK = { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' };

/**
 * Checks a cluster file holding `object` under `kubernetes.<kind>`, as `netstrap validate` does; `network` replaces
 * the IPv4-only layout (the dual-stack Service cases).
 */
export function clusterOutcome(
  kind: Kind,
  object: Record<string, unknown>,
  network: Record<string, unknown> = IPV4_NETWORK,
): Outcome {
  const services: unknown[] = [...BACKENDS];
  const objects: Record<Kind, unknown[]> = { services, ingresses: [], networkPolicies: [] };
  objects[kind].push(object);
  const raw = {
    name: 'upstream',
    network,
    // Weave (the default CNI) has no IPv6.
    ...(network !== IPV4_NETWORK && { cni: { plugin: 'flannel' } }),
    kubernetes: objects,
  };
  try {
    const model = checkCluster(raw, 'upstream.yaml', os.tmpdir());
    const warnings = warningLines('upstream.yaml', model.warnings);
    return { verdict: warnings.length > 0 ? 'warn' : 'accept', lines: warnings };
  } catch (error) {
    if (error instanceof InputError) return { verdict: 'refuse', lines: error.lines() };
    throw error;
  }
}

/** "accept or warn" both mean the API server stores the object. */
export function stored(verdict: Verdict): boolean {
  return verdict !== 'refuse';
}
