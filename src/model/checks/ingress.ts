/**
 * The checks of an Ingress spec (API server rules, backends; TLS files through the context) and its routes, with the plain types they
 * need. Free of cdk8s, so validating a cluster file does not load it; constructs/ingress.ts re-exports all.
 */
import { parseIpAddress } from '../cidr';
import { Issue, show, under } from '../errors';
import { checkName, checkObjectMeta, checkPortName, checkPortNumber } from '../meta';
import type { ingressPropsSchema, PropsOf, ServiceReference } from '../props';
import { findServicePort, ServicePortProps } from './service';
import { nginxAnnotationIssues } from './nginx-annotations';

export type { ServiceReference };

/** The deprecated annotation that named the class before `ingressClassName`. */
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/** The annotation ingress-nginx reads for `rewriteTarget`. */
export const REWRITE_TARGET_ANNOTATION = 'nginx.ingress.kubernetes.io/rewrite-target';

/** Props of {@link Ingress}: networking.k8s.io/v1, the same shape as a `kubernetes.ingresses` entry of the cluster file. */
export type IngressProps = PropsOf<typeof ingressPropsSchema>;
/** The paths served for one host. */
export type IngressRuleSpec = NonNullable<IngressProps['rules']>[number];
/** One path of an Ingress rule and the Service it routes to. */
export type IngressPathSpec = IngressRuleSpec['paths'][number];
/** Where an Ingress path sends requests: a Service (construct or name) of the same namespace and one of its ports. */
export type IngressBackendSpec = IngressPathSpec['backend'];
export type PathType = NonNullable<IngressPathSpec['pathType']>;
export type IngressTlsSpec = NonNullable<IngressProps['tls']>[number];

export type IngressCheckInput = IngressProps & { readonly name: string };

/** What an Ingress check may know about the Services of its app. */
export interface IngressContext {
  /** The ports of Service `name` in `namespace`, or undefined when no such Service is defined. @default - not checked */
  readonly findService?: (name: string, namespace: string) => ReadonlyArray<ServicePortProps> | undefined;
  /**
   * Reads and checks the certFile/keyFile of a TLS entry (src/model/tls-files.ts tlsFileIssues): checks do no I/O.
   * @default - the files are not read
   */
  readonly tlsFiles?: (tls: IngressTlsSpec) => Issue[];
}

const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];

/**
 * Checks a host as the API server does: a DNS-1123 subdomain, or `*.` and one. A rule's host may not be an IP
 * address; a TLS host may (the API server checks only the DNS form there, and a dotted quad is one).
 */
function checkHost(host: string, where: 'rule' | 'tls'): string | undefined {
  if (where === 'rule' && (/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || parseIpAddress(host).ok))
    return `host ${show(host)} must be a DNS name, not an IP address`;
  const problem = checkName(host.startsWith('*.') ? host.slice(2) : host, 'DNS-1123 subdomain');
  return problem
    ? `host ${show(host)} must be a DNS-1123 subdomain (lower-case letters, digits, "-" and "."), optionally starting with "*."`
    : undefined;
}

/** Checks a path as the API server does for its pathType. */
function checkPath(value: string, pathType: PathType): string | undefined {
  if (pathType === 'ImplementationSpecific' && value === '') return undefined;
  if (!value.startsWith('/')) return `path ${show(value)} must be an absolute path starting with "/"`;
  if (pathType === 'ImplementationSpecific') return undefined;
  const bad =
    INVALID_PATH_SEQUENCES.find((seq) => value.includes(seq)) ?? INVALID_PATH_SUFFIXES.find((s) => value.endsWith(s));
  return bad ? `path ${show(value)} must not contain ${show(bad)} (pathType ${pathType})` : undefined;
}

export function backendName(backend: IngressBackendSpec): string {
  return typeof backend.service === 'string' ? backend.service : backend.service.name;
}

/** Checks a backend; with a context, that the Service exists in `namespace` and exposes the port. */
function checkBackend(backend: IngressBackendSpec, namespace: string, context: IngressContext): Issue[] {
  const issues: Issue[] = [];
  const name = backendName(backend);
  const nameProblem = checkName(name, 'DNS-1035 label');
  if (nameProblem) issues.push({ path: ['service'], message: `service name ${nameProblem}` });
  const portProblem = typeof backend.port === 'number' ? checkPortNumber(backend.port) : checkPortName(backend.port);
  if (portProblem) issues.push({ path: ['port'], message: portProblem });
  if (nameProblem || portProblem) return issues;
  let ports: ReadonlyArray<ServicePortProps> | undefined;
  if (typeof backend.service !== 'string') {
    const serviceNamespace = backend.service.namespace ?? 'default';
    if (serviceNamespace !== namespace) {
      issues.push({
        path: ['service'],
        message: `Service ${show(name)} is in namespace ${show(serviceNamespace)}, but an Ingress can only route to Services of its own namespace ${show(namespace)}`,
      });
      return issues;
    }
    ports = backend.service.ports;
  } else if (context.findService) {
    ports = context.findService(name, namespace);
    if (!ports) {
      issues.push({
        path: ['service'],
        message: `Service ${show(name)} is not defined in namespace ${show(namespace)}: define it with the Ingress (kubernetes.services)`,
      });
      return issues;
    }
  } else return issues;
  if (!findServicePort(ports, backend.port)) {
    const exposed =
      ports.map((p) => (p.name ? `${p.port} (${show(p.name)})` : String(p.port))).join(', ') || 'no ports';
    issues.push({
      path: ['port'],
      message: `Service ${show(name)} has no port ${show(backend.port)}; it exposes ${exposed}`,
    });
  }
  return issues;
}

/**
 * The API server's checks of one Ingress (paths relative to the spec), plus: backends name a Service of the same
 * app and namespace exposing that port (when the context can look Services up), and TLS files are readable PEM.
 * Host+path clashes between Ingresses are checked by {@link ingressRoutes}' callers.
 */
export function checkIngress(spec: IngressCheckInput, context: IngressContext = {}): Issue[] {
  const issues: Issue[] = checkObjectMeta(spec, 'DNS-1123 subdomain');
  const namespace = spec.namespace ?? 'default';
  const rules = spec.rules ?? [];
  if (spec.ingressClassName !== undefined) {
    const problem = checkName(spec.ingressClassName, 'DNS-1123 subdomain');
    if (problem) issues.push({ path: ['ingressClassName'], message: `ingressClassName ${problem}` });
  }
  const annotatedClass = spec.annotations?.[INGRESS_CLASS_ANNOTATION];
  if (spec.ingressClassName !== undefined && annotatedClass !== undefined && annotatedClass !== spec.ingressClassName) {
    issues.push({
      path: ['annotations', INGRESS_CLASS_ANNOTATION],
      message: `${show(annotatedClass)} must match ingressClassName ${show(spec.ingressClassName)} when both are given (or drop the deprecated annotation)`,
    });
  }
  // Values that become ingress-nginx annotations, as its own annotation validation accepts them.
  issues.push(...nginxAnnotationIssues(spec));
  const annotated = spec.annotations?.[REWRITE_TARGET_ANNOTATION];
  if (spec.rewriteTarget !== undefined && annotated !== undefined && annotated !== spec.rewriteTarget) {
    issues.push({
      path: ['rewriteTarget'],
      message: `rewriteTarget ${show(spec.rewriteTarget)} contradicts annotation ${REWRITE_TARGET_ANNOTATION}: ${show(annotated)}`,
    });
  }
  if (rules.length === 0 && spec.defaultBackend === undefined) {
    issues.push({
      path: ['rules'],
      message: `rules ${show(rules)} is empty and there is no defaultBackend: an Ingress needs one of them`,
    });
  }
  if (spec.defaultBackend) {
    issues.push(...under(['defaultBackend'], checkBackend(spec.defaultBackend, namespace, context)));
  }
  rules.forEach((rule, i) => {
    if (rule.host !== undefined) {
      const problem = checkHost(rule.host, 'rule');
      if (problem) issues.push({ path: ['rules', i, 'host'], message: problem });
    }
    if (rule.paths.length === 0)
      issues.push({
        path: ['rules', i, 'paths'],
        message: `rule for host ${show(rule.host ?? '*')} needs at least one path`,
      });
    rule.paths.forEach((entry, j) => {
      const at = ['rules', i, 'paths', j];
      const pathType = entry.pathType ?? 'Prefix';
      if (!['Prefix', 'Exact', 'ImplementationSpecific'].includes(pathType)) {
        issues.push({
          path: [...at, 'pathType'],
          message: `pathType ${show(pathType)} must be Prefix, Exact or ImplementationSpecific`,
        });
      } else {
        const problem = checkPath(entry.path ?? '/', pathType);
        if (problem) issues.push({ path: [...at, 'path'], message: problem });
      }
      issues.push(...under([...at, 'backend'], checkBackend(entry.backend, namespace, context)));
    });
  });
  const secrets = new Map<string, number>();
  (spec.tls ?? []).forEach((tls, i) => {
    (tls.hosts ?? []).forEach((host, j) => {
      const problem = checkHost(host, 'tls');
      if (problem) issues.push({ path: ['tls', i, 'hosts', j], message: problem });
    });
    // Both optional upstream: no secretName is the controller's default certificate (an empty one is absent too).
    const secretName = tls.secretName === '' ? undefined : tls.secretName;
    if (secretName !== undefined) {
      const problem = checkName(secretName, 'DNS-1123 subdomain');
      if (problem) issues.push({ path: ['tls', i, 'secretName'], message: `secretName ${problem}` });
    }
    if (tls.certFile !== undefined || tls.keyFile !== undefined) {
      if (secretName === undefined) {
        issues.push({
          path: ['tls', i, 'secretName'],
          message: `is required with ${tls.certFile !== undefined ? 'certFile' : 'keyFile'}: it names the Secret made from the files`,
        });
      } else if (secrets.has(secretName)) {
        issues.push({
          path: ['tls', i, 'secretName'],
          message: `secretName ${show(secretName)} is made from files twice (also tls[${secrets.get(secretName)}])`,
        });
      } else secrets.set(secretName, i);
    }
    if (context.tlsFiles) issues.push(...under(['tls', i], context.tlsFiles(tls)));
  });
  return issues;
}

/** One host+path an Ingress claims for its class, with its path relative to the spec. */
export interface IngressRoute {
  /** Identity of the route: class, host, pathType and path. */
  readonly key: string;
  /** The route in words, for error messages. */
  readonly description: string;
  /** Field path of the route's `path`, relative to the Ingress spec. */
  readonly path: ReadonlyArray<string | number>;
}

/** The routes of an Ingress: no two Ingresses of one class may claim the same host, path and pathType. */
export function ingressRoutes(spec: IngressCheckInput): IngressRoute[] {
  const routes: IngressRoute[] = [];
  (spec.rules ?? []).forEach((rule, i) =>
    rule.paths.forEach((entry, j) => {
      const host = rule.host ?? '*';
      const routePath = entry.path ?? '/';
      const pathType = entry.pathType ?? 'Prefix';
      routes.push({
        key: `${spec.ingressClassName ?? ''}\n${host}\n${pathType}\n${routePath}`,
        description: `host ${show(host)} path ${show(routePath)} (${pathType}) of class ${show(spec.ingressClassName ?? '(default)')}`,
        path: ['rules', i, 'paths', j, 'path'],
      });
    }),
  );
  return routes;
}

/** Claims the routes of an Ingress in `claimed` (route key → owner); returns a clash issue per route taken already. */
export function claimIngressRoutes(spec: IngressCheckInput, owner: string, claimed: Map<string, string>): Issue[] {
  const issues: Issue[] = [];
  for (const route of ingressRoutes(spec)) {
    const holder = claimed.get(route.key);
    if (holder !== undefined)
      issues.push({ path: route.path, message: `${route.description} is routed twice: by ${holder} and by ${owner}` });
    else claimed.set(route.key, owner);
  }
  return issues;
}
