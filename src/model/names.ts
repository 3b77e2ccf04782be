/**
 * The syntax of names and other tokens netstrap accepts (Kubernetes object names, interface and namespace names,
 * sysctl keys, image references ...): regular expressions only, imported by the schemas that use them
 * (./schema.ts, ./cni/plugins.ts) and by checks elsewhere.
 */

/** RFC 1123 label: what Kubernetes requires of Service and namespace names. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain: what Kubernetes requires of most object names (ConfigMap, Ingress, NetworkPolicy...). */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Linux interface name: at most 15 bytes, no '/', ':', whitespace or shell metacharacters. */
export const INTERFACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
/** Network namespace name (a file name under /run/netns): conservative, shell-safe. */
export const NAMESPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** sysctl key such as net.ipv4.ip_forward or net.ipv4.conf.eth0.rp_filter. */
export const SYSCTL_KEY = /^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/;
/** Host name as written in /etc/hosts. */
export const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
/**
 * Container image reference, `[registry[:port]/]path[:tag][@sha256:digest]` (the distribution reference grammar,
 * lower-case path components): one token, so nothing can ride along into a manifest.
 */
export const IMAGE_REFERENCE =
  /^(?=.{1,255}$)([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?\/)?[a-z0-9]+([._-]{1,2}[a-z0-9]+)*(\/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
/** Image tag: what follows the ":" of an image reference. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** `[user@]host[:port]` of an SSH bastion. */
export const JUMP_HOST =
  /^([a-z_][a-z0-9_-]{0,31}@)?([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:]+\])(:[0-9]{1,5})?$/;
/** SSH login user. */
export const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
