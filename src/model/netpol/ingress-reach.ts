/**
 * Issue 24: a NetworkPolicy that keeps the ingress controller from an Ingress's backend is accepted by the API server
 * and silently turns the Ingress into timeouts. For each backend of each Ingress (rules' paths and defaultBackend),
 * the controller's pods (namespace ingress-nginx, the labels constructs/ingress-nginx.ts gives them, or a workload
 * declared there with them) must be able to open a connection to the pods behind the backend Service on its target
 * port, under every policy of the input (./analyze.ts). The pods behind a Service are the declared workloads its
 * selector matches, or, when none is declared, stand-in pods carrying exactly the selector's labels. Nothing is said
 * when the CNI does not enforce NetworkPolicies (bridge, Flannel, a conflist without a policy plugin).
 */
import type { Issue } from '../errors';
import type { Cluster } from '../schema';
import { networkPolicyWarnings } from '../cni';
import { NetpolAnalysis, type Verdict } from './analyze';
import { clusterInventory } from './cluster';
import { compileSelector, type Inventory, NAMESPACE_NAME_LABEL, type Protocol, type Workload } from './inventory';

/** The ingress-nginx controller's pods as constructs/ingress-nginx.ts synthesizes them. */
export const INGRESS_NGINX_CONTROLLER = {
  namespace: 'ingress-nginx',
  /** The Namespace's own labels (besides kubernetes.io/metadata.name). */
  namespaceLabels: { 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/name': 'ingress-nginx' },
  /** The labels the controller pods are selected by (the Deployment's or DaemonSet's selector). */
  podSelector: {
    'app.kubernetes.io/component': 'controller',
    'app.kubernetes.io/instance': 'ingress-nginx',
    'app.kubernetes.io/name': 'ingress-nginx',
  },
} as const;

/** What a warning needs of one Ingress backend: where it is and the Service port it names. */
interface Backend {
  readonly at: ReadonlyArray<string | number>;
  readonly namespace: string;
  readonly service: string;
  readonly port: number | string;
}

/** A Service as the check needs it (a cluster file's, or a manifest's spec). */
export interface BackendService {
  readonly namespace: string;
  readonly name: string;
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports?: ReadonlyArray<{
    readonly port: number;
    readonly name?: string;
    readonly targetPort?: number | string;
    readonly protocol?: string;
  }>;
}

/** The warnings of a checked cluster file whose ingress controller is netstrap's ingress-nginx. */
export function ingressBackendWarnings(cluster: Cluster, file = 'cluster file'): Issue[] {
  const k = cluster.kubernetes;
  if (cluster.ingressController.provider !== 'ingress-nginx') return [];
  if (k.networkPolicies.length === 0 || k.ingresses.length === 0) return [];
  // A CNI that does not enforce policies blocks nothing (that is a warning of its own: ../cni/warnings.ts).
  if (networkPolicyWarnings(cluster).length > 0) return [];
  const backends: Backend[] = [];
  k.ingresses.forEach((ingress, i) => {
    const at = ['kubernetes', 'ingresses', i];
    const add = (where: ReadonlyArray<string | number>, backend: { service: unknown; port: number | string }) => {
      if (typeof backend.service !== 'string') return; // a backend in another namespace is not an Ingress of this file's
      backends.push({
        at: [...at, ...where],
        namespace: ingress.namespace,
        service: backend.service,
        port: backend.port,
      });
    };
    if (ingress.defaultBackend) add(['defaultBackend'], ingress.defaultBackend);
    (ingress.rules ?? []).forEach((rule, j) =>
      rule.paths.forEach((entry, p) => add(['rules', j, 'paths', p, 'backend'], entry.backend)),
    );
  });
  return deniedBackends(clusterInventory(cluster, file), k.services, backends, true).map(({ backend, message }) => ({
    path: backend.at,
    severity: 'warning',
    message,
  }));
}

/**
 * Kubernetes manifests (`netstrap netpol`): the Ingresses (networking.k8s.io/v1) and Services among the documents,
 * checked against the inventory read from all of them when it holds the ingress-nginx controller's pods. Returns
 * each warning with the document it is about, for printing as `file:LINE (document N, Ingress ns/name): path: …`.
 */
export function manifestIngressWarnings(
  inventory: Inventory,
  documents: ReadonlyArray<{ readonly object: unknown }>,
): Array<{ document: number; label: string; issue: Issue }> {
  const ns = INGRESS_NGINX_CONTROLLER.namespace;
  const controllerMatch = compileSelector({ matchLabels: INGRESS_NGINX_CONTROLLER.podSelector });
  if (
    inventory.policies.length === 0 ||
    !inventory.workloads.some((w) => w.namespace === ns && controllerMatch(w.labels))
  )
    return [];
  const services: BackendService[] = [];
  const backends: Array<Backend & { document: number; label: string }> = [];
  documents.forEach(({ object }, d) => {
    if (!isRecord(object) || !isRecord(object.metadata) || !isRecord(object.spec)) return;
    const { kind, metadata, spec } = object;
    const name = String(metadata.name);
    const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
    if (kind === 'Service') {
      const ports = Array.isArray(spec.ports) ? spec.ports.filter(isRecord) : [];
      services.push({
        namespace,
        name,
        selector: isRecord(spec.selector) ? (spec.selector as Record<string, string>) : undefined,
        ports: ports.map((p) => ({
          port: Number(p.port),
          name: typeof p.name === 'string' ? p.name : undefined,
          targetPort: typeof p.targetPort === 'number' || typeof p.targetPort === 'string' ? p.targetPort : undefined,
          protocol: typeof p.protocol === 'string' ? p.protocol : undefined,
        })),
      });
    }
    if (kind !== 'Ingress' || object.apiVersion !== 'networking.k8s.io/v1') return;
    const label = `Ingress ${namespace}/${name}`;
    const add = (at: ReadonlyArray<string | number>, backend: unknown) => {
      const service = isRecord(backend) && isRecord(backend.service) ? backend.service : undefined;
      const port = service && isRecord(service.port) ? (service.port.number ?? service.port.name) : undefined;
      if (!service || typeof service.name !== 'string' || (typeof port !== 'number' && typeof port !== 'string'))
        return;
      backends.push({ at, namespace, service: service.name, port, document: d, label });
    };
    add(['spec', 'defaultBackend'], spec.defaultBackend);
    (Array.isArray(spec.rules) ? spec.rules : []).forEach((rule, j) => {
      const paths = isRecord(rule) && isRecord(rule.http) && Array.isArray(rule.http.paths) ? rule.http.paths : [];
      paths.forEach((entry, k) =>
        add(['spec', 'rules', j, 'http', 'paths', k, 'backend'], isRecord(entry) ? entry.backend : undefined),
      );
    });
  });
  return deniedBackends(inventory, services, backends, false).map(({ backend, message }) => {
    const { document, label } = backend as (typeof backends)[number];
    return { document, label, issue: { path: backend.at, severity: 'warning', message } };
  });
}

/**
 * The backends the controller cannot reach: the pods behind each backend's Service (stand-ins with the selector's
 * labels when the inventory has none), on the Service port's target port. With `controllerStandIn`, stand-in
 * controller pods when the inventory has none.
 */
function deniedBackends(
  inventory: Inventory,
  serviceList: readonly BackendService[],
  backends: readonly Backend[],
  controllerStandIn: boolean,
): Array<{ backend: Backend; message: string }> {
  const services = new Map(serviceList.map((s) => [`${s.namespace}/${s.name}`, s] as const).reverse());
  const workloads = [...inventory.workloads];
  const namespaces = new Map(inventory.namespaces);
  const ns = INGRESS_NGINX_CONTROLLER.namespace;
  namespaces.set(ns, {
    ...INGRESS_NGINX_CONTROLLER.namespaceLabels,
    ...namespaces.get(ns),
    [NAMESPACE_NAME_LABEL]: ns,
  });
  const controllerMatch = compileSelector({ matchLabels: INGRESS_NGINX_CONTROLLER.podSelector });
  if (controllerStandIn && !workloads.some((w) => w.namespace === ns && controllerMatch(w.labels)))
    workloads.push(standIn(ns, 'ingress-nginx-controller', INGRESS_NGINX_CONTROLLER.podSelector));
  for (const service of services.values()) {
    if (!service.selector || Object.keys(service.selector).length === 0) continue;
    const match = compileSelector({ matchLabels: service.selector });
    if (workloads.some((w) => w.namespace === service.namespace && match(w.labels))) continue;
    if (!namespaces.has(service.namespace))
      namespaces.set(service.namespace, { [NAMESPACE_NAME_LABEL]: service.namespace });
    workloads.push(standIn(service.namespace, `${service.name} (pods of Service ${service.name})`, service.selector));
  }
  const analysis = new NetpolAnalysis({ ...inventory, namespaces, workloads });
  const index = (w: Workload) => analysis.workloads.indexOf(w);
  const controllers = analysis.workloads.filter((w) => w.namespace === ns && controllerMatch(w.labels)).map(index);

  const out: Array<{ backend: Backend; message: string }> = [];
  for (const backend of backends) {
    const service = services.get(`${backend.namespace}/${backend.service}`);
    const servicePort = service?.ports?.find((p) =>
      typeof backend.port === 'number' ? p.port === backend.port : p.name === backend.port,
    );
    if (!service?.selector || Object.keys(service.selector).length === 0 || !servicePort) continue;
    const protocol = (servicePort.protocol ?? 'TCP') as Protocol;
    const match = compileSelector({ matchLabels: service.selector });
    for (const [d, pods] of analysis.workloads.entries()) {
      if (pods.namespace !== backend.namespace || !match(pods.labels)) continue;
      const target = servicePort.targetPort ?? servicePort.port;
      const port =
        typeof target === 'number'
          ? target
          : pods.ports.find((p) => p.name === target && p.protocol === protocol)?.port;
      if (port === undefined) continue; // a named target port these pods do not define: nothing to analyse
      const denied = controllers
        .map((c) => analysis.can({ workload: c }, { workload: d }, port, protocol))
        .find((verdict) => !verdict.allowed);
      if (denied) out.push({ backend, message: deniedMessage(denied, pods, port, protocol, backend) });
    }
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `NetworkPolicy ns/name denies ingress-nginx → ns/app:port (…); allow it with …`. */
function deniedMessage(verdict: Verdict, pods: Workload, port: number, protocol: Protocol, backend: Backend): string {
  const side = !verdict.ingress.allowed ? verdict.ingress : verdict.egress;
  const names = side.policies.map((p) => `${p.namespace}/${p.name}`);
  const who = `NetworkPolicy${names.length > 1 ? 's' : ''} ${names.join(', ')} ${names.length > 1 ? 'deny' : 'denies'}`;
  const target = `${pods.namespace}/${pods.name.split(' ')[0]}:${port}`;
  const behind = `pods of Service ${backend.namespace}/${backend.service}, ${pods.source === 'stand-in' ? `selector ${formatLabels(pods.labels)}` : `workload ${pods.key}`}`;
  const fix = !verdict.ingress.allowed
    ? `allow it with an ingress rule in ${pods.namespace}: from namespaceSelector ${NAMESPACE_NAME_LABEL}=${INGRESS_NGINX_CONTROLLER.namespace} + podSelector app.kubernetes.io/name=ingress-nginx, ports ${protocol} ${port}`
    : `allow the controller's egress in ${INGRESS_NGINX_CONTROLLER.namespace}: to namespaceSelector ${NAMESPACE_NAME_LABEL}=${pods.namespace} + podSelector ${formatLabels(pods.labels)}, ports ${protocol} ${port}`;
  return `${who} ingress-nginx → ${target} (${behind}): the Ingress's requests to this backend will time out; ${fix}`;
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Pods the file does not declare, with the labels they are known to carry. */
function standIn(namespace: string, name: string, labels: Readonly<Record<string, string>>): Workload {
  return {
    key: `${namespace}/${name}`,
    kind: 'Deployment',
    name,
    namespace,
    labels,
    ports: [],
    ips: [],
    source: 'stand-in',
  };
}
