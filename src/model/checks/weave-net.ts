/**
 * The checks of WeaveNet props, with the plain types they need. Free of cdk8s, so validating a cluster file does
 * not load it; constructs/weave-net.ts re-exports all.
 */
import { cidrText, parseNetwork } from '../cidr';
import { Issue, show } from '../errors';
import { NetworkLayout } from '../layout';
import type { PropsOf, weaveNetPropsSchema } from '../props';

/** Props of {@link WeaveNet}. */
export type WeaveNetProps = PropsOf<typeof weaveNetPropsSchema>;
/** A key of a Kubernetes Secret holding the Weave password; the password itself never appears in a manifest. */
export type WeavePasswordSecret = NonNullable<WeaveNetProps['passwordSecret']>;

/** Env names the construct sets itself, with the prop that controls each. */
export const WEAVE_RESERVED_ENV: Readonly<Record<string, string>> = {
  INIT_CONTAINER: '(always "true")',
  HOSTNAME: '(always the node name)',
  IPALLOC_RANGE: 'ipallocRange',
  WEAVE_MTU: 'mtu',
  CONN_LIMIT: 'connLimit',
  WEAVE_PASSWORD: 'passwordSecret',
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const IMAGE_TAG = /^[0-9A-Za-z._-]+$/;
const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * Checks WeaveNet props (or the cluster file's `cni.weave`), against the network layout when there is one. Paths are
 * relative to the props object; validateCluster prefixes them with `cni.weave`.
 */
export function checkWeaveProps(props: WeaveNetProps, layout?: NetworkLayout): Issue[] {
  const issues: Issue[] = [];
  if (layout && layout.families.length > 1) {
    issues.push({
      path: [],
      message: `Weave Net has no IPv6, but network.podCidr is dual-stack (${layout.podCidrs.map((r) => r.text).join(', ')}): use cni.plugin flannel or bridge, or an IPv4-only podCidr`,
    });
  }
  if (props.version !== undefined && !IMAGE_TAG.test(props.version)) {
    issues.push({ path: ['version'], message: `version ${show(props.version)} is not an image tag` });
  }
  if (props.ipallocRange !== undefined) {
    const parsed = parseNetwork(props.ipallocRange);
    if (!parsed.ok) issues.push({ path: ['ipallocRange'], message: parsed.error });
    else if (layout && !parsed.value.inside(layout.podCidr)) {
      issues.push({
        path: ['ipallocRange'],
        message: `ipallocRange ${show(props.ipallocRange)} is outside podCidr ${cidrText(layout.podCidr)}: Weave would hand out pod addresses the rest of the cluster does not route as pods`,
      });
    }
  }
  if (props.mtu !== undefined && !(Number.isInteger(props.mtu) && props.mtu >= 576 && props.mtu <= 65535)) {
    issues.push({ path: ['mtu'], message: `mtu ${show(props.mtu)} must be a whole number 576-65535` });
  }
  if (props.connLimit !== undefined && !(Number.isInteger(props.connLimit) && props.connLimit >= 1)) {
    issues.push({
      path: ['connLimit'],
      message: `connLimit ${show(props.connLimit)} must be a whole number of at least 1`,
    });
  }
  const secret: unknown = props.passwordSecret;
  if (secret !== undefined) {
    if (typeof secret !== 'object' || secret === null) {
      // Do not echo a literal: it is probably the password itself.
      issues.push({
        path: ['passwordSecret'],
        message: `a literal password (${typeof secret}) is refused: give a Secret reference {name, key}; the password must not appear in a manifest`,
      });
    } else {
      const { name, key } = secret as WeavePasswordSecret;
      if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
        issues.push({
          path: ['passwordSecret', 'name'],
          message: `Secret name ${show(name)} is not a DNS-1123 subdomain`,
        });
      }
      if (key !== undefined && (typeof key !== 'string' || !SECRET_KEY.test(key))) {
        issues.push({
          path: ['passwordSecret', 'key'],
          message: `Secret key ${show(key)} may only hold letters, digits, "-", "_" and "."`,
        });
      }
    }
  }
  for (const [name, value] of Object.entries(props.env ?? {})) {
    if (Object.hasOwn(WEAVE_RESERVED_ENV, name)) {
      const hint =
        name === 'WEAVE_PASSWORD'
          ? 'a literal password is refused: use passwordSecret {name, key} so it comes from a Secret'
          : `it is set by the construct; use ${WEAVE_RESERVED_ENV[name]}`;
      issues.push({ path: ['env', name], message: `env ${show(name)} cannot be set here: ${hint}` });
    } else if (!ENV_NAME.test(name)) {
      issues.push({ path: ['env', name], message: `env name ${show(name)} is not a valid variable name` });
    } else if (typeof value !== 'string') {
      issues.push({ path: ['env', name], message: `env ${show(name)} value ${show(value)} must be a string` });
    }
  }
  (props.npcArgs ?? []).forEach((arg, i) => {
    if (typeof arg !== 'string' || arg.length === 0)
      issues.push({ path: ['npcArgs', i], message: `npc arg ${show(arg)} must be a non-empty string` });
  });
  return issues;
}
