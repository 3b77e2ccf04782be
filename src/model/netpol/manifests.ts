/**
 * Kubernetes manifests → Inventory: netstrap's own dist/, `kubectl get -o yaml` output (`kind: List`, and the typed
 * lists of API list calls: PodList, NetworkPolicyList, …), a kustomize or helm render, decoded as the API server
 * decodes them (../decode.ts: null is absent). Read: Namespace, Pod, Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, ReplicationController, Job, CronJob (pod template labels and ports; status.podIP(s) when present,
 * IPv4 and IPv6)
 * and NetworkPolicy; one of them that cannot be read is an error, never skipped. Every other kind is counted.
 * A Pod or ReplicaSet (or Job) whose controller is among the objects read is folded into it: its IPs join the
 * owner's, so kubectl output does not count a Deployment three times.
 */
import * as fs from 'fs';
import * as path from 'path';
import { errorsOf, InputError, Issue, show, under, warningLines } from '../errors';
import { decodeNulls } from '../decode';
import { loadYamlDocuments } from '../yaml';
import { type LineOf, type SourceLines, withLines } from '../source-lines';
import { checkLabels, checkPortName } from '../meta';
import { networkPolicySchema } from '../schema';
import { objectIssues } from '../zod-issues';
import type { z } from 'zod';
import { checkNetworkPolicy } from '../checks/network-policy';
import {
  addNamespace,
  apiServerPolicySpec,
  countRead,
  countSkipped,
  ContainerPort,
  Inventory,
  PROTOCOLS,
  Protocol,
  Workload,
} from './inventory';

const WORKLOAD_KINDS = [
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
];
/** API groups whose `kind: NetworkPolicy` is the Kubernetes one (extensions: before 1.16). */
const NETWORK_POLICY_GROUPS = ['networking.k8s.io', 'extensions'];
const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** One parsed document and where it came from. */
export interface ManifestDocument {
  readonly file: string;
  /** 1-based document number in the file; items of a List add `.items[i]`. */
  readonly where: string;
  readonly object: unknown;
  /** Written by `synth` from this cluster file: its warnings were printed from the file, not repeated here. */
  readonly synthesizedFrom?: string;
  /** The line of a path of `object` in the file, when its text is known (issues print `file:LINE (document N)`). */
  readonly lineOf?: LineOf;
}

/** The manifest files of a path: the file itself, or every .yaml/.yml/.json below a directory (sorted, no dot dirs). */
export function manifestFiles(input: string): string[] {
  const stat = fs.statSync(input);
  if (!stat.isDirectory()) return [input];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (MANIFEST_EXTENSIONS.includes(path.extname(entry.name))) out.push(full);
    }
  };
  walk(input);
  return out;
}

/** Parses the YAML (or JSON) documents of a file; empty documents are dropped. Throws InputError on bad YAML. */
export function parseDocuments(text: string, file: string): unknown[] {
  return loadYamlDocuments(text, file).filter((d) => d !== null && d !== undefined);
}

/**
 * Flattens every list into its items, as kubectl reads them (apimachinery's unstructured decodeToList): `kind: List`
 * (kubectl get -o yaml) and the typed lists of API list calls (`PodList`, `NetworkPolicyList`, `DeploymentList`, …
 * any `XList`), nested ones too. As for kubectl, an object with an `items` list is a list whatever its kind. An
 * item with neither kind nor apiVersion (a typed list's items have none) takes the list's kind without `List`, and
 * its apiVersion. An `XList` without items is empty; one whose `items` is not a list stays a document (an error).
 */
export function manifestDocuments(documents: unknown[], file: string, lines?: SourceLines): ManifestDocument[] {
  const out: ManifestDocument[] = [];
  let document = 0;
  const add = (object: unknown, where: string, depth: number, at: ReadonlyArray<string | number> = []) => {
    if (!isList(object) || depth > 8) {
      out.push({ file, where, object, ...(lines ? { lineOf: lines.document(document, at) } : {}) });
      return;
    }
    const itemKind = object.kind.endsWith('List') ? object.kind.slice(0, -'List'.length) : object.kind;
    ((object.items ?? []) as unknown[]).forEach((item, j) => {
      const typed =
        isObject(item) && item.kind == null && item.apiVersion == null && itemKind !== ''
          ? { ...item, kind: itemKind, apiVersion: object.apiVersion }
          : item;
      add(typed, depth === 0 ? `${where}, items[${j}]` : `${where}.items[${j}]`, depth + 1, [...at, 'items', j]);
    });
  };
  documents.forEach((object, i) => {
    document = i;
    add(object, `document ${i + 1}`, 0);
  });
  return out;
}

function isList(value: unknown): value is Record<string, unknown> & { kind: string } {
  if (!isObject(value) || typeof value.kind !== 'string') return false;
  return Array.isArray(value.items) || (value.kind.endsWith('List') && value.items == null);
}

interface Owned {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly owner?: { kind: string; name: string };
  readonly ips: string[];
  readonly workload?: Workload;
}

/**
 * Adds manifest documents to an inventory. Every problem is collected; the InputError thrown names the file, the
 * document and the field (`dist/x.yaml (document 3, NetworkPolicy default/db): spec.ingress[0].from[0]: ...`).
 * Returns the warnings, as printed (`warning: file (document N, Kind ns/name): path: message`).
 */
export function addManifests(inventory: Inventory, docs: readonly ManifestDocument[]): { warnings: string[] } {
  const errors: InputError[] = [];
  const warnings: string[] = [];
  const owned: Owned[] = [];
  const seen = new Map<string, string>();
  for (const doc of docs) {
    const decodeWarnings: Issue[] = [];
    const object = decodeNulls(doc.object, decodeWarnings);
    const detail = (label?: string) => `${doc.where}${label ? `, ${label}` : ''}`;
    const fail = (issues: Issue[], label?: string) =>
      errors.push(new InputError(doc.file, withLines(issues, doc.lineOf), detail(label)));
    const warn = (issues: Issue[], label?: string) => {
      if (doc.synthesizedFrom === undefined)
        warnings.push(...warningLines(doc.file, withLines(issues, doc.lineOf), detail(label)));
    };
    if (!isObject(object) || typeof object.kind !== 'string' || typeof object.apiVersion !== 'string') {
      fail([
        { path: [], message: `not a Kubernetes object: expected apiVersion and kind, got ${show(summary(object))}` },
      ]);
      continue;
    }
    const kind = object.kind;
    if (kind.endsWith('List')) {
      fail([{ path: ['items'], message: `must be a list of objects (got ${show(object.items)})` }], kind);
      continue;
    }
    const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
    if (kind === 'NetworkPolicy' && !NETWORK_POLICY_GROUPS.includes(group)) {
      fail(
        [
          {
            path: ['apiVersion'],
            message: `${show(object.apiVersion)} is not the Kubernetes NetworkPolicy (networking.k8s.io/v1), which is all netstrap analyses: its answer would leave this policy out; remove it from the input to analyse without it`,
          },
        ],
        kind,
      );
      continue;
    }
    if (kind !== 'Namespace' && kind !== 'NetworkPolicy' && !WORKLOAD_KINDS.includes(kind)) {
      countSkipped(inventory, kind);
      continue;
    }
    const meta = isObject(object.metadata) ? object.metadata : {};
    const name = meta.name;
    const namespace = meta.namespace ?? 'default';
    if (typeof name !== 'string' || name === '') {
      fail([{ path: ['metadata', 'name'], message: `is required (got ${show(name)})` }]);
      continue;
    }
    if (typeof namespace !== 'string') {
      fail([{ path: ['metadata', 'namespace'], message: `must be a string (got ${show(namespace)})` }]);
      continue;
    }
    const label = kind === 'Namespace' ? `Namespace ${name}` : `${kind} ${namespace}/${name}`;
    const id = kind === 'Namespace' ? label : `${kind} ${namespace}/${name}`;
    // Every error of the object is reported together (a label error does not hide a port error); a NetworkPolicy's
    // labels are checked with the rest of it.
    const issues: Issue[] = [];
    if (kind !== 'NetworkPolicy') {
      issues.push(...under(['metadata', 'labels'], checkLabels(isObject(meta.labels) ? meta.labels : undefined)));
      if (meta.labels !== undefined && !isObject(meta.labels))
        issues.push({ path: ['metadata', 'labels'], message: `must be a map of labels (got ${show(meta.labels)})` });
    }
    // The same object twice (a cluster file's dist/ read twice, or an overlay) counts once; different content is an error.
    const fingerprint = JSON.stringify({ metadata: { labels: meta.labels ?? {} }, spec: object.spec ?? null });
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      if (earlier !== fingerprint)
        fail([{ path: [], message: `${id} is defined twice with different content` }], label);
      continue;
    }
    seen.set(id, fingerprint);
    warn(decodeWarnings, label);

    if (kind === 'Namespace') {
      if (issues.length > 0) {
        fail(issues, label);
        continue;
      }
      addNamespace(inventory, name, (meta.labels ?? {}) as Record<string, string>);
      countRead(inventory, kind);
      continue;
    }
    if (kind === 'NetworkPolicy') {
      const issues = policyIssues(name, namespace, meta, object.spec);
      warn(issues.issues, label);
      if (errorsOf(issues.issues).length > 0) {
        fail(errorsOf(issues.issues), label);
        continue;
      }
      inventory.policies.push({ name, namespace, spec: issues.spec!, source: `${doc.file} (${doc.where})` });
      countRead(inventory, kind);
      continue;
    }
    // A workload kind.
    const template = podTemplate(kind, object);
    // A Pod's template labels are its own labels, checked above.
    if (kind !== 'Pod') issues.push(...under(template.labelsPath, checkLabels(template.labels)));
    if (!template.spec) {
      fail([...issues, { path: [template.at], message: `is required: the pod template of a ${kind}` }], label);
      continue;
    }
    const owner = controllerOf(meta.ownerReferences);
    const ips = podIps(kind === 'Pod' ? object.status : undefined);
    const ports = containerPorts(template.spec, template.specPath);
    issues.push(...ports.issues);
    if (issues.length > 0) {
      fail(issues, label);
      continue;
    }
    const hostNetwork = template.spec.hostNetwork === true;
    const workload: Workload | undefined = hostNetwork
      ? undefined
      : {
          key: '',
          kind,
          name,
          namespace,
          labels: (template.labels ?? {}) as Record<string, string>,
          ports: ports.ports,
          ips,
          source: `${doc.file} (${doc.where})`,
        };
    owned.push({ kind, namespace, name, owner, ips, workload });
    countRead(inventory, kind);
    if (hostNetwork) countSkipped(inventory, `${kind} (hostNetwork: NetworkPolicies do not apply)`);
  }
  if (errors.length > 0) throw new InputErrors(errors);

  // Fold owned objects into their controller when it was read: pods of a ReplicaSet of a Deployment, Jobs of a CronJob.
  const byId = new Map(owned.map((o) => [`${o.kind} ${o.namespace}/${o.name}`, o]));
  const rootOf = (o: Owned): Owned => {
    let current = o;
    for (let hops = 0; hops < 4 && current.owner; hops++) {
      const parent = byId.get(`${current.owner.kind} ${current.namespace}/${current.owner.name}`);
      if (!parent) break;
      current = parent;
    }
    return current;
  };
  const extraIps = new Map<Owned, string[]>();
  for (const o of owned) {
    const root = rootOf(o);
    if (root === o) continue;
    countSkipped(inventory, `${o.kind} (folded into its ${root.kind})`);
    if (o.ips.length > 0) extraIps.set(root, [...(extraIps.get(root) ?? []), ...o.ips]);
  }
  for (const o of owned) {
    if (rootOf(o) !== o || !o.workload) continue;
    const ips = [...o.workload.ips, ...(extraIps.get(o) ?? [])];
    inventory.workloads.push({ ...o.workload, ips: [...new Set(ips)] });
  }
  return { warnings };
}

/**
 * The NetworkPolicy as the cluster file's schema reads it, with issues in manifest coordinates: the schema's, and
 * the checks' on every part that parsed (../zod-issues.ts objectIssues).
 */
function policyIssues(name: string, namespace: string, meta: Record<string, unknown>, spec: unknown) {
  if (!isObject(spec)) return { issues: [{ path: ['spec'], message: `is required (got ${show(spec)})` }] };
  const input = { name, namespace, labels: meta.labels, ...spec };
  const toManifestPath = (p: ReadonlyArray<PropertyKey>) => {
    const head = String(p[0]);
    const rest = p.map((x) => (typeof x === 'symbol' ? String(x) : x));
    return ['name', 'namespace', 'labels', 'annotations'].includes(head) ? ['metadata', ...rest] : ['spec', ...rest];
  };
  const describe = (error: z.ZodError): Issue[] =>
    error.issues.map((i) => ({
      path: i.path.map((x) => (typeof x === 'symbol' ? String(x) : x)),
      message:
        i.code === 'unrecognized_keys'
          ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => show(k)).join(', ')}`
          : `${i.message}${valueNote(input, i.path)}`,
    }));
  const result = objectIssues(networkPolicySchema, input, checkNetworkPolicy, describe);
  const issues = result.issues.map((i) => ({ ...i, path: toManifestPath(i.path) }));
  return { issues, spec: result.value && apiServerPolicySpec(result.value) };
}

function valueNote(root: unknown, at: ReadonlyArray<PropertyKey>): string {
  let current: unknown = root;
  for (const key of at) {
    if (!isObject(current) && !Array.isArray(current)) return '';
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current === undefined ? '' : ` (got ${show(current)})`;
}

function podTemplate(
  kind: string,
  object: Record<string, unknown>,
): {
  spec?: Record<string, unknown>;
  labels?: Record<string, unknown>;
  at: string;
  specPath: Array<string>;
  labelsPath: Array<string>;
} {
  const spec = isObject(object.spec) ? object.spec : undefined;
  if (kind === 'Pod') {
    const meta = isObject(object.metadata) ? object.metadata : {};
    return {
      spec,
      labels: isObject(meta.labels) ? meta.labels : undefined,
      at: 'spec',
      specPath: ['spec'],
      labelsPath: ['metadata', 'labels'],
    };
  }
  const templateOf = (s: Record<string, unknown> | undefined) => (s && isObject(s.template) ? s.template : undefined);
  const template =
    kind === 'CronJob'
      ? templateOf(isObject(spec?.jobTemplate) && isObject(spec!.jobTemplate.spec) ? spec!.jobTemplate.spec : undefined)
      : templateOf(spec);
  const base = kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template'] : ['spec', 'template'];
  const meta = template && isObject(template.metadata) ? template.metadata : {};
  return {
    spec: template && isObject(template.spec) ? template.spec : undefined,
    labels: isObject(meta.labels) ? meta.labels : undefined,
    at: `${base.join('.')}.spec`,
    specPath: [...base, 'spec'],
    labelsPath: [...base, 'metadata', 'labels'],
  };
}

function controllerOf(refs: unknown): { kind: string; name: string } | undefined {
  if (!Array.isArray(refs)) return undefined;
  const ref = refs.find((r) => isObject(r) && r.controller === true) ?? refs.find((r) => isObject(r));
  return isObject(ref) && typeof ref.kind === 'string' && typeof ref.name === 'string'
    ? { kind: ref.kind, name: ref.name }
    : undefined;
}

function podIps(status: unknown): string[] {
  if (!isObject(status)) return [];
  const ips = Array.isArray(status.podIPs)
    ? status.podIPs.map((p) => (isObject(p) ? p.ip : undefined))
    : [status.podIP];
  return [...new Set(ips.filter((ip): ip is string => typeof ip === 'string'))];
}

function containerPorts(spec: Record<string, unknown>, at: string[]): { ports: ContainerPort[]; issues: Issue[] } {
  const ports: ContainerPort[] = [];
  const issues: Issue[] = [];
  for (const field of ['containers', 'initContainers'] as const) {
    const list = spec[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      issues.push({ path: [...at, field], message: `must be a list (got ${show(list)})` });
      continue;
    }
    list.forEach((container, i) => {
      if (!isObject(container) || container.ports === undefined) return;
      if (!Array.isArray(container.ports)) {
        issues.push({ path: [...at, field, i, 'ports'], message: `must be a list (got ${show(container.ports)})` });
        return;
      }
      container.ports.forEach((p, j) => {
        const where = [...at, field, i, 'ports', j];
        if (!isObject(p)) {
          issues.push({ path: where, message: `must be a container port object (got ${show(p)})` });
          return;
        }
        const number = p.containerPort;
        if (!Number.isInteger(number) || (number as number) < 1 || (number as number) > 65535) {
          issues.push({
            path: [...where, 'containerPort'],
            message: `must be a port number 1-65535 (got ${show(number)})`,
          });
          return;
        }
        const protocol = p.protocol ?? 'TCP';
        if (!PROTOCOLS.includes(protocol as Protocol)) {
          issues.push({ path: [...where, 'protocol'], message: `must be TCP, UDP or SCTP (got ${show(protocol)})` });
          return;
        }
        if (p.name !== undefined) {
          const problem =
            typeof p.name === 'string' ? checkPortName(p.name) : `port name ${show(p.name)} must be a string`;
          if (problem) {
            issues.push({ path: [...where, 'name'], message: problem });
            return;
          }
        }
        ports.push({ name: p.name as string | undefined, port: number as number, protocol: protocol as Protocol });
      });
    });
  }
  return { ports, issues };
}

/** Problems in several files or documents: each line keeps its own `file (document)` prefix. */
export class InputErrors extends InputError {
  constructor(readonly errors: readonly InputError[]) {
    super(
      errors[0].source,
      errors.flatMap((e) => e.issues),
    );
    this.message = errors.map((e) => e.message).join('\n');
  }

  lines(): string[] {
    return this.errors.flatMap((e) => e.lines());
  }
}

function summary(value: unknown): unknown {
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .slice(0, 4)
      .map((k) => [k, '…']),
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
