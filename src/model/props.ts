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
 *   network layout values (clusterDomain, dnsServiceIp, clusterCidr, bindAddress) the cluster file derives.
 * - CoreDNS `corefile` may be a parsed Corefile model as well as text; `corefileStyle` sets its indentation.
 *
 * The props TYPES are these schemas' input types ({@link PropsOf}), readonly, so a field added to the schema is a
 * prop at once; where TypeScript says more than a run-time check can (a Service construct, a Corefile model), the
 * schema's check is a z.custom of that type here (serviceConstruct, corefileModel), so the types need no
 * overrides; test/model/props-types.test.ts fails to compile when a props type and its schema drift apart.
 */
import { z } from 'zod';
import type { Corefile } from './corefile/model';
import { formatPath, Issue, throwIfAny } from './errors';
import {
  DNS1123_LABEL,
  type DeepReadonly,
  dnsSchema,
  flannelSchema,
  imageReference,
  ingressControllerSchema,
  ingressSchema,
  kubeProxySchema,
  networkPolicySchema,
  networkSchema,
  servicePortSchema,
  serviceSchema,
  weaveSchema,
} from './schema';
import { valueAt, zodIssues } from './zod-issues';

const optionalName = z.string().optional();
const optionalNamespace = z.string().regex(DNS1123_LABEL, { message: 'must be a DNS-1123 label' }).optional();
const ipAddress = z.string();
/**
 * The props type of a props schema: zod's input type (defaults optional), every field readonly as cdk8s props are
 * (a Corefile model as it is); a field added to the schema is a prop at once (one source for each shape).
 */
export type PropsOf<S extends z.ZodType> = DeepReadonly<z.input<S>, Corefile>;
const corefileModel = z.custom<Corefile>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
  message: 'must be an object',
});

/**
 * A strict object schema typed by its shape's declared type: the d.ts then keeps each field's doc comment (an
 * inferred `extend()` or `z.strictObject({...})` type is printed without them), so editor hovers explain each prop.
 */
type Strict<S extends z.core.$ZodLooseShape> = z.ZodObject<S, z.core.$strict>;
/** A shape with some fields replaced: a named type, so the d.ts refers to both shapes (and keeps their docs). */
type Override<Base, Fields> = Omit<Base, keyof Fields> & Fields;

const servicePropsFields = {
  /** Service name (DNS-1035 label: it becomes a DNS name). @default - the construct id */
  name: optionalName,
  /** @default - none: the namespace of whoever applies the manifest ("default" in DNS names) */
  namespace: optionalNamespace,
};
const servicePropsShape: Override<typeof serviceSchema.shape, typeof servicePropsFields> = {
  ...serviceSchema.shape,
  ...servicePropsFields,
};
export const servicePropsSchema: Strict<typeof servicePropsShape> = z.strictObject(servicePropsShape);
const networkPolicyPropsFields = {
  /** @default - the construct id */
  name: optionalName,
  /** @default - none: the namespace of whoever applies the manifest */
  namespace: optionalNamespace,
};
const networkPolicyPropsShape: Override<typeof networkPolicySchema.shape, typeof networkPolicyPropsFields> = {
  ...networkPolicySchema.shape,
  ...networkPolicyPropsFields,
};
export const networkPolicyPropsSchema: Strict<typeof networkPolicyPropsShape> = z.strictObject(networkPolicyPropsShape);

/**
 * What a backend check needs of a Service construct (constructs/service.ts satisfies it): the model describes the
 * shape instead of importing the construct, so it never depends on constructs/ or cdk8s.
 */
export interface ServiceReference {
  readonly name: string;
  /** @default 'default' */
  readonly namespace?: string;
  readonly ports: ReadonlyArray<PropsOf<typeof servicePortSchema>>;
}
/** A Service construct as an Ingress backend: anything with the name and ports a Service has. */
const serviceConstruct = z.custom<ServiceReference>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { name?: unknown }).name === 'string' &&
    Array.isArray((v as { ports?: unknown }).ports),
);
const backendShape = {
  /** The Service construct, or the name of a Service defined in the same app and namespace. Required. */
  service: z.union([z.string(), serviceConstruct], { error: 'must be a Service name or a Service construct' }),
  /** A port the Service exposes: its number or its name. Required. */
  port: ingressSchema.shape.defaultBackend.unwrap().shape.port,
};
const backend: Strict<typeof backendShape> = z.strictObject(backendShape);
const ingressRule = ingressSchema.shape.rules.unwrap().element;
const ingressPathFields = {
  /** The Service and port that receive matching requests. Required. */
  backend,
};
const ingressPathShape: Override<typeof ingressRule.shape.paths.element.shape, typeof ingressPathFields> = {
  ...ingressRule.shape.paths.element.shape,
  ...ingressPathFields,
};
const ingressPath: Strict<typeof ingressPathShape> = z.strictObject(ingressPathShape);
const ingressRuleFields = {
  /** The paths of this host, at least one. Required. */
  paths: z.array(ingressPath).min(1),
};
const ingressRuleShape: Override<typeof ingressRule.shape, typeof ingressRuleFields> = {
  ...ingressRule.shape,
  ...ingressRuleFields,
};
const ingressRuleProps: Strict<typeof ingressRuleShape> = z.strictObject(ingressRuleShape);
const ingressPropsFields = {
  /** @default - the construct id */
  name: optionalName,
  /** @default - none: the namespace of whoever applies the manifest */
  namespace: optionalNamespace,
  /** Where requests no rule matches go. @default - the controller's default backend */
  defaultBackend: backend.optional(),
  /** @default [] (then defaultBackend is required) */
  rules: z.array(ingressRuleProps).optional(),
  /** Directory that relative certFile/keyFile paths are read from. @default process.cwd() */
  baseDir: z.string().optional(),
};
const ingressPropsShape: Override<typeof ingressSchema.shape, typeof ingressPropsFields> = {
  ...ingressSchema.shape,
  ...ingressPropsFields,
};
export const ingressPropsSchema: Strict<typeof ingressPropsShape> = z.strictObject(ingressPropsShape);

const weaveNetPropsFields = {
  /** Image of the weave and weave-init containers. @default `weaveworks/weave-kube:<version>` */
  kubeImage: imageReference.optional(),
  /** Image of the weave-npc container. @default `weaveworks/weave-npc:<version>` */
  npcImage: imageReference.optional(),
};
const weaveNetPropsShape: Override<typeof weaveSchema.shape, typeof weaveNetPropsFields> = {
  ...weaveSchema.shape,
  ...weaveNetPropsFields,
};
export const weaveNetPropsSchema: Strict<typeof weaveNetPropsShape> = z.strictObject(weaveNetPropsShape);
export const flannelPropsSchema: typeof flannelSchema = flannelSchema;
const { provider: _dnsProvider, ...dnsFields } = dnsSchema.shape;
const corefileStyleShape = {
  /** Spaces before each plugin line. @default 4 */
  indent: z.number().int().min(0).max(16).optional(),
  /** Extra spaces for each nested block level. @default 3 (kubeadm) */
  nestedIndent: z.number().int().min(0).max(16).optional(),
};
const corefileStyle: Strict<typeof corefileStyleShape> = z.strictObject(corefileStyleShape);
const coreDnsPropsFields = {
  /** The whole image reference; overrides `version`. @default `registry.k8s.io/coredns/coredns:<version>` */
  image: imageReference.optional(),
  /**
   * The Corefile: a model, or text (parsed and validated, then shipped as written). Cannot be combined with
   * `upstreams`, `hosts` or `stubDomains`: write those into the Corefile.
   * @default - kubeadm's Corefile for the cluster domain, with `upstreams`, `hosts` and `stubDomains` applied
   */
  corefile: z.union([z.string(), corefileModel], { error: 'must be Corefile text or a Corefile model' }).optional(),
  /** Layout used when the Corefile is rendered from a model. @default KUBEADM_STYLE (nested options indented 3 more) */
  corefileStyle: corefileStyle.optional(),
  /** The cluster DNS domain. Must match the ClusterNetwork's when there is one. @default - the ClusterNetwork's, else 'cluster.local' */
  clusterDomain: networkSchema.shape.clusterDomain.unwrap().optional(),
  /**
   * Cluster IP of the kube-dns Service (the address kubelets give pods as their resolver). Must equal the
   * ClusterNetwork's dnsServiceIp when there is one.
   * @default - the ClusterNetwork's dnsServiceIp; required without a ClusterNetwork
   */
  dnsServiceIp: ipAddress.optional(),
};
const coreDnsPropsShape: Override<Omit<typeof dnsSchema.shape, 'provider'>, typeof coreDnsPropsFields> = {
  ...dnsFields,
  ...coreDnsPropsFields,
};
export const coreDnsPropsSchema: Strict<typeof coreDnsPropsShape> = z.strictObject(coreDnsPropsShape);
const { provider: _ingressProvider, ...ingressControllerFields } = ingressControllerSchema.shape;
const ingressNginxPropsFields = {
  /**
   * Controller image.
   * @default - for 1.8.2 upstream's image pinned by digest; otherwise `registry.k8s.io/ingress-nginx/controller:v<version>`
   */
  controllerImage: imageReference.optional(),
  /** Image of the admission-certificate Jobs. @default - kube-webhook-certgen v20230407 pinned by digest (as upstream 1.8.2) */
  certgenImage: imageReference.optional(),
};
const ingressNginxPropsShape: Override<
  Omit<typeof ingressControllerSchema.shape, 'provider'>,
  typeof ingressNginxPropsFields
> = { ...ingressControllerFields, ...ingressNginxPropsFields };
export const ingressNginxPropsSchema: Strict<typeof ingressNginxPropsShape> = z.strictObject(ingressNginxPropsShape);
const kubeProxyPropsFields = {
  /**
   * API server URL kube-proxy talks to (kubeadm's controlPlaneEndpoint), e.g. `https://192.168.1.11:6443`.
   * kube-proxy cannot use the `kubernetes` Service: it is what makes Services work. Required.
   */
  controlPlaneEndpoint: kubeProxySchema.shape.controlPlaneEndpoint.unwrap(),
  /** clusterCIDR: traffic from outside it to a Service is masqueraded. @default - the podCidr of the ClusterNetwork in scope */
  clusterCidr: z.string().optional(),
  /** Address kube-proxy serves on. @default '0.0.0.0' */
  bindAddress: ipAddress.optional(),
};
const kubeProxyPropsShape: Override<typeof kubeProxySchema.shape, typeof kubeProxyPropsFields> = {
  ...kubeProxySchema.shape,
  ...kubeProxyPropsFields,
};
export const kubeProxyPropsSchema: Strict<typeof kubeProxyPropsShape> = z.strictObject(kubeProxyPropsShape);
export const clusterNetworkPropsSchema: typeof networkSchema = networkSchema;

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

/** Throws an InputError naming `source` when {@link propsIssues} finds errors (warnings do not throw). */
export function assertProps(
  schema: z.ZodType,
  props: unknown,
  source: string,
  ownChecks: () => Issue[] = () => [],
): void {
  throwIfAny(source, propsIssues(schema, props, ownChecks));
}
