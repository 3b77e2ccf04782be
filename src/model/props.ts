/**
 * Run-time shape checks of construct props, for library users who call netstrap from plain JavaScript (where a
 * wrong type is not a compile error): each props schema is the cluster-file schema of the same thing, so a field
 * is defined once. A wrong type, a missing required prop or an unknown prop throws an InputError naming it
 * before the construct's own checks run.
 *
 * Where props and the cluster file differ on purpose, it is said here, in one place:
 * - `name` is optional in props (default: the construct id); `namespace` has no default (no namespace is written,
 *   while the cluster file writes "default").
 * - An Ingress backend's `service` may be a Service construct in TypeScript; the file names the Service.
 * - Ingress props take `baseDir` (where certFile/keyFile are read); the cluster file uses its own directory.
 * - Add-on props have no `provider` (making the construct is the choice), and take image overrides and the
 *   network plan values (clusterDomain, dnsServiceIp, clusterCidr, bindAddress) the cluster file derives.
 * - CoreDNS `corefile` may be a parsed Corefile model as well as text; `corefileStyle` sets its indentation.
 */
import { z } from 'zod';
import { formatPath, InputError, Issue } from './errors';
import {
  DNS1123_LABEL,
  dnsSchema,
  imageReference,
  ingressControllerSchema,
  ingressSchema,
  kubeProxySchema,
  networkPolicySchema,
  networkSchema,
  serviceSchema,
  weaveSchema,
} from './schema';
import { valueAt, zodIssues } from './zod-issues';

const optionalName = z.string().optional();
const optionalNamespace = z.string().regex(DNS1123_LABEL, { message: 'must be a DNS-1123 label' }).optional();
const ipAddress = z.string();
const object = z.custom<object>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
  message: 'must be an object',
});

export const servicePropsSchema = serviceSchema.extend({ name: optionalName, namespace: optionalNamespace });
export const networkPolicyPropsSchema = networkPolicySchema.extend({
  name: optionalName,
  namespace: optionalNamespace,
});

/** A Service construct as an Ingress backend: anything with the name and ports a Service has. */
const serviceConstruct = z.custom<object>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { name?: unknown }).name === 'string' &&
    Array.isArray((v as { ports?: unknown }).ports),
);
const backend = z.strictObject({
  service: z.union([z.string(), serviceConstruct], { error: 'must be a Service name or a Service construct' }),
  port: ingressSchema.shape.defaultBackend.unwrap().shape.port,
});
const ingressRules = ingressSchema.shape.rules.unwrap();
export const ingressPropsSchema = ingressSchema.extend({
  name: optionalName,
  namespace: optionalNamespace,
  defaultBackend: backend.optional(),
  rules: z
    .array(
      ingressRules.element.extend({
        paths: z.array(ingressRules.element.shape.paths.element.extend({ backend })).min(1),
      }),
    )
    .optional(),
  baseDir: z.string().optional(),
});

export const weaveNetPropsSchema = weaveSchema.extend({
  kubeImage: imageReference.optional(),
  npcImage: imageReference.optional(),
});
export const coreDnsPropsSchema = dnsSchema.omit({ provider: true }).extend({
  image: imageReference.optional(),
  corefile: z.union([z.string(), object], { error: 'must be Corefile text or a Corefile model' }).optional(),
  corefileStyle: z
    .strictObject({
      indent: z.number().int().min(0).max(16).optional(),
      nestedIndent: z.number().int().min(0).max(16).optional(),
    })
    .optional(),
  clusterDomain: networkSchema.shape.clusterDomain.unwrap().optional(),
  dnsServiceIp: ipAddress.optional(),
});
export const ingressNginxPropsSchema = ingressControllerSchema.omit({ provider: true }).extend({
  controllerImage: imageReference.optional(),
  certgenImage: imageReference.optional(),
});
export const kubeProxyPropsSchema = kubeProxySchema.extend({
  controlPlaneEndpoint: kubeProxySchema.shape.controlPlaneEndpoint.unwrap(),
  clusterCidr: z.string().optional(),
  bindAddress: ipAddress.optional(),
});
export const clusterNetworkPropsSchema = networkSchema;

/** zod issue codes that mean "not even the right kind of value": the construct's own checks cannot run then. */
const STRUCTURAL = new Set(['invalid_type', 'unrecognized_keys', 'invalid_union', 'invalid_key', 'invalid_element']);

function isComposite(value: unknown): boolean {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/**
 * The issues of construct props: first their shape against the schema (a wrong type, a missing required prop or an
 * unknown prop is reported alone, as the construct's own checks could not run on it); then `ownChecks` (the API
 * server's rules, with their more specific messages), plus any schema rule those checks did not already report.
 */
export function propsIssues(schema: z.ZodType, props: unknown, ownChecks: () => Issue[]): Issue[] {
  if (props === null || typeof props !== 'object' || Array.isArray(props)) {
    return [
      {
        path: [],
        message: `props must be an object (got ${props === null ? 'null' : Array.isArray(props) ? 'an array' : typeof props})`,
      },
    ];
  }
  const parsed = schema.safeParse(props);
  if (parsed.success) return ownChecks();
  // An object where a scalar belongs (e.g. `protocol: {}` against an enum) is structural too, whatever the code.
  const structural = parsed.error.issues.filter(
    (issue) =>
      STRUCTURAL.has(issue.code) ||
      (isComposite(valueAt(props, issue.path).value) && issue.code !== 'too_small' && issue.code !== 'too_big'),
  );
  if (structural.length > 0) return zodIssues(new z.ZodError(structural), props);
  const own = ownChecks();
  const reported = own.map((issue) => formatPath(issue.path));
  const more = zodIssues(parsed.error, props).filter((issue) => {
    const at = formatPath(issue.path);
    return !reported.some(
      (path) =>
        path === at ||
        path.startsWith(`${at}.`) ||
        path.startsWith(`${at}[`) ||
        at.startsWith(`${path}.`) ||
        at.startsWith(`${path}[`),
    );
  });
  return [...own, ...more];
}

/** Throws an InputError naming `source` when {@link propsIssues} finds any. */
export function assertProps(
  schema: z.ZodType,
  props: unknown,
  source: string,
  ownChecks: () => Issue[] = () => [],
): void {
  const issues = propsIssues(schema, props, ownChecks);
  if (issues.length > 0) throw new InputError(source, issues);
}
