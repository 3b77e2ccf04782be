/**
 * The checks of IngressNginx props, with the plain types they need. Free of cdk8s, so validating a cluster file
 * does not load it; constructs/ingress-nginx.ts re-exports all.
 */
import { Issue, show } from '../errors';
import { checkNodePort } from '../layout';
import type { ingressNginxPropsSchema, PropsOf } from '../props';

/** Props of {@link IngressNginx}. */
export type IngressNginxProps = PropsOf<typeof ingressNginxPropsSchema>;
/** Which upstream manifest to follow: `cloud` (LoadBalancer Service) or `baremetal` (NodePort Service). */
export type IngressNginxFlavor = NonNullable<IngressNginxProps['flavor']>;
export type IngressNginxServiceType = NonNullable<IngressNginxProps['serviceType']>;
/** Fixed NodePorts of the controller Service. */
export type IngressNginxNodePorts = NonNullable<IngressNginxProps['nodePorts']>;

/** Flags the construct sets itself: extraArgs may not repeat them. */
const OWN_FLAGS = [
  'publish-service',
  'election-id',
  'controller-class',
  'ingress-class',
  'configmap',
  'validating-webhook',
  'validating-webhook-certificate',
  'validating-webhook-key',
];
const FLAG_NAME = /^[a-z0-9][a-z0-9-]*$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** Checks IngressNginx props (or the cluster file's `ingressController`); paths are relative to the props. */
export function checkIngressNginxProps(props: IngressNginxProps): Issue[] {
  const issues: Issue[] = [];
  if (props.version !== undefined && !/^[0-9A-Za-z._-]+$/.test(props.version)) {
    issues.push({ path: ['version'], message: `version ${show(props.version)} is not an image tag` });
  }
  if (props.replicas !== undefined && !(Number.isInteger(props.replicas) && props.replicas >= 0)) {
    issues.push({
      path: ['replicas'],
      message: `replicas ${show(props.replicas)} must be a whole number of at least 0`,
    });
  }
  const type = serviceTypeOf(props);
  for (const key of ['http', 'https'] as const) {
    const port = props.nodePorts?.[key];
    if (port === undefined) continue;
    const problem = checkNodePort(port);
    if (problem) issues.push({ path: ['nodePorts', key], message: problem });
    else if (type === 'ClusterIP') {
      issues.push({
        path: ['nodePorts', key],
        message: `nodePort ${show(port)} needs serviceType NodePort or LoadBalancer, not ClusterIP`,
      });
    }
  }
  if (props.nodePorts?.http !== undefined && props.nodePorts.http === props.nodePorts.https) {
    issues.push({
      path: ['nodePorts', 'https'],
      message: `nodePort ${show(props.nodePorts.https)} is already nodePorts.http`,
    });
  }
  for (const [key, value] of Object.entries(props.extraArgs ?? {})) {
    if (!FLAG_NAME.test(key))
      issues.push({
        path: ['extraArgs', key],
        message: `flag name ${show(key)} must be lower-case letters, digits and "-", without leading dashes`,
      });
    else if (OWN_FLAGS.includes(key))
      issues.push({
        path: ['extraArgs', key],
        message: `flag --${key} is set by the construct and cannot be repeated`,
      });
    else if (typeof value !== 'string' || /[\n\r]/.test(value))
      issues.push({ path: ['extraArgs', key], message: `flag value ${show(value)} must be a one-line string` });
  }
  for (const [key, value] of Object.entries(props.config ?? {})) {
    if (!CONFIG_KEY.test(key))
      issues.push({
        path: ['config', key],
        message: `ConfigMap key ${show(key)} may only hold letters, digits, "-", "_" and "."`,
      });
    else if (typeof value !== 'string')
      issues.push({
        path: ['config', key],
        message: `ConfigMap value ${show(value)} must be a string (quote numbers and booleans)`,
      });
  }
  return issues;
}

export function serviceTypeOf(props: IngressNginxProps): IngressNginxServiceType {
  return props.serviceType ?? ((props.flavor ?? 'baremetal') === 'cloud' ? 'LoadBalancer' : 'NodePort');
}
