/**
 * The cluster file (hosts/*.yaml): one YAML document per cluster, read by both halves of netstrap.
 *
 * This module holds only the *shape* of the file (types, required fields, enums, name syntax). Checks that need
 * more than one field (CIDR overlaps, addresses inside ranges, duplicates, API-server rules) live next to the
 * thing they check and are run by ../model/load.ts on the parsed value.
 *
 * Every value that may later reach a remote shell (interface, bridge and namespace names, file paths, CIDRs,
 * addresses, ports) is constrained here to a strict syntax, so that injection is impossible by construction;
 * src/host/shell.ts still quotes everything, in one place.
 */
import { z } from 'zod';
import { record } from './record';
import { anyPluginSchema, CNI_PLUGIN_TYPES } from './cni/plugins';
import { type NumericRange, parseAddress, parseNodeAddress, rangeList } from './cidr';
import type { Issue } from './errors';
import {
  DNS1123_LABEL,
  DNS1123_SUBDOMAIN,
  INTERFACE_NAME,
  NAMESPACE_NAME,
  SYSCTL_KEY,
  HOST_NAME,
  IMAGE_REFERENCE,
  IMAGE_TAG,
  JUMP_HOST,
  USER_NAME,
} from './names';

// ---------------------------------------------------------------------------------------------------------------
// Names and scalars

export * from './names';

const dnsLabel = z
  .string()
  .regex(DNS1123_LABEL, {
    message:
      'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters',
  })
  .max(63, { message: 'must be at most 63 characters (DNS-1123 label)' });
const dnsSubdomain = z
  .string()
  .regex(DNS1123_SUBDOMAIN, {
    message:
      'must be a DNS-1123 subdomain: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit',
  })
  .max(253, { message: 'must be at most 253 characters (DNS-1123 subdomain)' });
const interfaceName = z.string().regex(INTERFACE_NAME, {
  message: 'must be a Linux interface name: 1-15 characters from A-Z a-z 0-9 _ . -',
});
const namespaceName = z.string().regex(NAMESPACE_NAME, {
  message: 'must be a network namespace name: 1-63 characters from A-Z a-z 0-9 _ . -',
});
const hostName = z.string().regex(HOST_NAME, { message: 'must be a host name (letters, digits, "-" and ".")' });
export const imageReference = z.string().regex(IMAGE_REFERENCE, {
  message: 'must be an image reference such as registry.k8s.io/coredns/coredns:v1.10.1 (one token, lower-case path)',
});
const imageTag = z.string().regex(IMAGE_TAG, { message: 'must be an image tag: letters, digits, _ . - (at most 128)' });
/**
 * True for a name the system resolver reads as an IPv4 address (glibc inet_aton, which getaddrinfo and OpenSSH use):
 * one to four dot-separated numbers, each decimal, octal (leading 0) or hexadecimal (0x): "010.0.0.1" is 8.0.0.1,
 * "0x0a.0.0.1" and "10.1" are 10.0.0.1, "167772161" is 10.0.0.1 too.
 */
export function resolvesAsIPv4(host: string): boolean {
  const parts = host.split('.');
  return (
    /^[0-9.]+$/.test(host) || (parts.length <= 4 && parts.every((part) => /^(0[xX][0-9a-fA-F]*|[0-9]+)$/.test(part)))
  );
}
const NOT_CANONICAL_IPV4 =
  'looks like an IPv4 address but is not one in canonical form (four decimal numbers 0-255, no leading zeros): the resolver would read it as one, hex, octal and shortened forms included';
/** An ssh.host or jump host: a name the resolver reads as an IPv4 address must be a canonical dotted quad. */
const canonicalIfNumeric = (host: string) => !resolvesAsIPv4(host) || parseAddress(host).ok;
/** An IPv6 literal where a host is named (ssh.host unbracketed, a jump host's inside its brackets). */
const looksIpv6 = (host: string) => host.includes(':') || host.includes('%');
/** Where ssh connects: an IPv4 or IPv6 address (unbracketed) or a host name / ~/.ssh/config alias. */
const sshHost = z.string().superRefine((host, ctx) => {
  if (looksIpv6(host)) {
    const parsed = parseNodeAddress(host);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
  } else if (!HOST_NAME.test(host)) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be an IPv4 address or a host name / ssh config alias (letters, digits, "-" and "."), or an IPv6 address such as fd00::11',
    });
  } else if (!canonicalIfNumeric(host)) ctx.addIssue({ code: 'custom', message: NOT_CANONICAL_IPV4 });
});

/** CIDR and address strings: the syntax is checked here, the meaning (host bits, ranges) in load.ts with ip-num. */
const cidr = z.string().describe('IPv4 network in CIDR notation, host bits zero, e.g. 10.244.0.0/16');
/**
 * A range, or a dual-stack pair: one range (`10.244.0.0/16`), a list of one IPv4 and one IPv6 range
 * (`[10.244.0.0/16, fd00:10:244::/56]`), or kubeadm's comma string (`10.244.0.0/16,fd00:10:244::/56`).
 */
const cidrs = z.union([cidr, z.array(cidr).min(1).max(2)], {
  error: 'must be a CIDR string, or a list of one IPv4 and one IPv6 CIDR',
});
const address = z.string().describe('IPv4 address, e.g. 10.96.0.10');
// The node side takes either family (checked in host-intents.ts and checks/topology.ts with cidr.ts's parseNode*;
// canonical.ts rewrites IPv6 to RFC 5952 text before the host side sees it).
const nodeAddress = z.string().describe('IPv4 or IPv6 address, e.g. 10.0.0.1 or fd00::1');
const nodeCidr = z
  .string()
  .describe('IPv4 or IPv6 network in CIDR notation, host bits zero, e.g. 10.244.0.0/16 or fd00:10:244::/56');
const interfaceAddress = z
  .string()
  .describe('IPv4 or IPv6 address with the prefix of its network, e.g. 192.168.1.11/24 or fd00:192:168:1::11/64');
/** One address, or a list of one per family (dual-stack), e.g. `[10.0.0.1, fd00::1]`. */
const addressPerFamily = z.union([nodeAddress, z.array(nodeAddress).min(1).max(2)], {
  error: 'must be an address, or a list of one IPv4 and one IPv6 address',
});
const port = z
  .number()
  .int({ message: 'must be a whole number' })
  .min(1, { message: 'must be a port number 1-65535' })
  .max(65535, { message: 'must be a port number 1-65535' });
const protocol = z.enum(['TCP', 'UDP', 'SCTP']);
const labels = record(z.string(), z.string());
/** A Service port reference: a number, or the name of a port (what targetPort and Ingress backends accept). */
const portOrName = z.union([port, dnsLabel], {
  error: 'must be a port number 1-65535 or a port name (DNS-1123 label such as http)',
});
/** Absolute path on a node: no "..", no shell metacharacters. */
export const absolutePath = z
  .string()
  .regex(/^\/([A-Za-z0-9_.@+-]+\/?)*$/, {
    message: 'must be an absolute path of letters, digits and _ . @ + - (no spaces, quotes or shell metacharacters)',
  })
  .refine((p) => !p.split('/').includes('..'), { message: 'must not contain ".."' });

// ---------------------------------------------------------------------------------------------------------------
// Network layout

const networkShape = {
  /**
   * Pod network in CIDR notation, e.g. `10.244.0.0/16` (Flannel's default) or `10.32.0.0/12` (Weave's); dual-stack: a
   * list of one IPv4 and one IPv6 range, `[10.244.0.0/16, fd00:10:244::/56]` (or kubeadm's comma string). The
   * cluster's IP families are those of podCidr; the first range's is the primary family. Required.
   */
  podCidr: cidrs,
  /**
   * Service cluster-IP range, e.g. `10.96.0.0/12` (kubeadm's default); dual-stack: a list of one IPv4 and one IPv6
   * range in the same family order as podCidr, `[10.96.0.0/12, fd00:10:96::/108]`. An IPv6 range may be at most a
   * /108 (the API server's limit: 20 host bits). Required.
   */
  serviceCidr: cidrs,
  /** Network of the node addresses; checked not to overlap pods and services. @default - not checked */
  nodeCidr: cidr.optional(),
  /** The cluster DNS domain. @default 'cluster.local' */
  clusterDomain: dnsSubdomain.default('cluster.local'),
  /** Cluster IP of the kube-dns Service. @default - the 10th address of serviceCidr (10.96.0.10 for 10.96.0.0/12) */
  dnsServiceIp: address.optional(),
  /**
   * Prefix length of each Kubernetes node's slice of podCidr (kube-controller-manager --node-cidr-mask-size), for
   * nodes without a podSubnet (host side).
   * @default 24
   */
  nodeCidrMaskSize: z.number().int().min(8).max(30).default(24),
  /**
   * Prefix length of each Kubernetes node's slice of podCidr's IPv6 range (kube-controller-manager
   * --node-cidr-mask-size-ipv6): longer than that range's prefix, and at most 16 longer (kube-controller-manager's
   * limit), for nodes without an IPv6 podSubnet (host side). Used only when podCidr has an IPv6 range.
   * @default 64
   */
  nodeCidrMaskSizeIPv6: z.number().int().min(8).max(126).default(64),
};
export const networkSchema: z.ZodObject<typeof networkShape, z.core.$strict> = z.strictObject(networkShape);

// ---------------------------------------------------------------------------------------------------------------
// CNI

/**
 * One plugin entry of a CNI conflist: `type` plus the plugin's own options, kept as the CNI spec spells them. The
 * plugins and their options are declared once, in ./cni/plugins.ts: here the type is checked (the options are
 * checked with the rest of the conflist, by ./cni/validate.ts), and the JSON Schema is the plugins' own.
 * A record, not an object schema: zod would move `type` first, and the file must keep the user's key order.
 */
export const cniPluginSchema = record(z.string(), z.unknown())
  .superRefine((plugin, ctx) => {
    if (typeof plugin.type !== 'string' || !CNI_PLUGIN_TYPES.includes(plugin.type)) {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: `must be a CNI plugin type: one of ${CNI_PLUGIN_TYPES.join(', ')}`,
      });
    }
  })
  .meta(pluginsJsonSchema());

/** The JSON Schema of a plugin entry: one of the plugins of ./cni/plugins.ts (their options, `type` required). */
function pluginsJsonSchema(): Record<string, unknown> {
  const { $schema: _schema, ...schema } = z.toJSONSchema(anyPluginSchema, { io: 'input', unrepresentable: 'any' });
  void _schema;
  return { required: ['type'], ...schema };
}

export const cniConflistSchema = z.strictObject({
  /** CNI spec version of the configuration. @default '1.0.0' */
  cniVersion: z.string().default('1.0.0'),
  /** Every spec version the configuration is valid for (CNI 1.1). @default - only cniVersion */
  cniVersions: z.array(z.string()).optional(),
  /** Network name; pods' attachments and host-local's state directory are named after it. Required. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { message: 'must be a CNI network name (letters, digits, _ . -)' }),
  /** Skip the runtime's CHECK calls. @default false */
  disableCheck: z.boolean().optional(),
  /** Skip the runtime's GC calls (CNI 1.1). @default false */
  disableGC: z.boolean().optional(),
  /** The plugin chain, in order: an interface plugin (bridge, ptp, …) first, then meta plugins (portmap, …). Required. */
  plugins: z.array(cniPluginSchema).min(1),
  /** File name under /etc/cni/net.d. Default: 10-<name>.conflist. */
  fileName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*\.conflist$/, { message: 'must be a file name ending in .conflist' })
    .optional(),
});

const weaveShape = {
  /** Weave Net release; selects the image tags. @default '2.8.1' */
  version: imageTag.default('2.8.1'),
  /**
   * IPALLOC_RANGE: the range Weave allocates pod addresses from. Must lie inside the ClusterNetwork's podCidr.
   * @default - the podCidr of the ClusterNetwork in scope; without one, unset (Weave then uses 10.32.0.0/12)
   */
  ipallocRange: cidr.optional(),
  /** WEAVE_MTU: MTU of the Weave bridge and VXLAN/fastdp interfaces. @default - unset (Weave picks 1376) */
  mtu: z.number().int().min(576).max(65535).optional(),
  /** CONN_LIMIT: maximum number of peer connections. @default - unset (Weave's default, 200) */
  connLimit: z.number().int().min(1).optional(),
  // A string here is almost certainly the password itself: say so instead of "expected object".
  /**
   * WEAVE_PASSWORD from a Secret key (env valueFrom secretKeyRef): encrypts traffic between peers. A literal
   * password is refused, so that it never lands in a manifest. `name`: the Secret, in kube-system; `key`: its key
   * (default 'weave-passwd').
   * @default - no encryption
   */
  passwordSecret: z
    .strictObject(
      {
        /** The Secret holding the password, in kube-system. Required. */
        name: dnsSubdomain,
        /** The Secret's key. @default 'weave-passwd' */
        key: z.string().default('weave-passwd'),
      },
      {
        error: (issue) =>
          issue.code === 'invalid_type'
            ? 'a literal password is refused: give the Secret holding it, as {name, key}, so the password never appears in a manifest'
            : undefined,
      },
    )
    .optional(),
  /** Extra args for weave-npc, e.g. `['--log-level=debug']`. @default - none */
  npcArgs: z.array(z.string()).optional(),
  /**
   * Extra env entries for the `weave` container (e.g. `EXTRA_ARGS`, `NO_MASQ_LOCAL`). Names the construct sets
   * itself (see WEAVE_RESERVED_ENV) are refused: use the matching prop.
   * @default - none
   */
  env: record(z.string(), z.string()).optional(),
};
export const weaveSchema: z.ZodObject<typeof weaveShape, z.core.$strict> = z.strictObject(weaveShape);

// >>> Flannel (constructs/flannel.ts; issue 13)
const flannelShape = {
  /** Flannel release (flanneld image tag). @default 'v0.28.9' */
  version: z
    .string()
    .regex(/^[0-9A-Za-z._-]+$/)
    .default('v0.28.9'),
  /** Tag of the flannel-cni-plugin image (installs the `flannel` CNI binary). @default 'v1.9.1-flannel3' */
  cniPluginVersion: z
    .string()
    .regex(/^[0-9A-Za-z._-]+$/)
    .optional(),
  /**
   * net-conf.json `Network`: the whole pod network. Must lie inside the ClusterNetwork's podCidr.
   * @default - the podCidr of the ClusterNetwork in scope; without one, Flannel's 10.244.0.0/16
   */
  network: cidr.optional(),
  /**
   * How pod traffic crosses nodes: vxlan, host-gw (plain routes; nodes on one L2 segment) or wireguard.
   * @default { type: 'vxlan' }
   */
  backend: z
    .discriminatedUnion('type', [
      z.strictObject({
        /** `vxlan`: pod traffic in VXLAN tunnels (works across routed networks). */
        type: z.literal('vxlan'),
        /** VXLAN Network Identifier. @default - unset (Flannel uses 1) */
        vni: z.number().int().optional(),
        /** UDP port of the VXLAN device. @default - unset (Flannel uses the kernel's 8472) */
        port: port.optional(),
        /** Route directly (host-gw style) between nodes on the same subnet. @default - unset (false) */
        directRouting: z.boolean().optional(),
      }),
      z.strictObject({
        /** `host-gw`: plain routes to each node's pod subnet via the node (nodes must share one L2 segment). */
        type: z.literal('host-gw'),
      }),
      /** WireGuard: encrypted tunnels between nodes; `listenPort` @default - unset (Flannel uses 51820) */
      z.strictObject({
        /** `wireguard`: encrypted tunnels between nodes. */
        type: z.literal('wireguard'),
        /** UDP port WireGuard listens on. @default - unset (Flannel uses 51820) */
        listenPort: port.optional(),
      }),
    ])
    .optional(),
  /** net-conf.json `EnableNFTables`: masquerade with nftables instead of iptables. @default false */
  enableNFTables: z.boolean().optional(),
};
export const flannelSchema: z.ZodObject<typeof flannelShape, z.core.$strict> = z.strictObject(flannelShape);
// <<< Flannel

export const cniSchema = z.strictObject({
  plugin: z
    .enum(['weave', 'bridge', 'conflist', 'flannel', 'none'])
    .default('weave')
    .describe(
      'weave: Weave Net DaemonSet; bridge: a bridge + host-local conflist over the pod CIDR; conflist: the one given; flannel: kube-flannel (enforces no NetworkPolicy); none.',
    ),
  /** Options of Weave Net (plugin: weave). @default - Weave's defaults */
  weave: weaveSchema.optional(),
  /** Options of Flannel (plugin: flannel). @default - Flannel's defaults */
  flannel: flannelSchema.optional(),
  /** Options of the bridge conflist (plugin: bridge). @default - bridge cni0 over each node's pod subnet */
  bridge: z
    .strictObject({
      /** Name of the pods' bridge on each node. @default 'cni0' */
      name: interfaceName.default('cni0'),
      subnet: cidr.optional().describe('Pod subnet of nodes that have no podSubnet of their own; default: podCidr.'),
    })
    .optional(),
  /** The conflist to ship (plugin: conflist): written as given, checked as each plugin's options are. Required for conflist. */
  conflist: cniConflistSchema.optional(),
  /** Ship the conflist to every node with an installer DaemonSet (the host provisioner can also write it). */
  installer: z.boolean().default(false),
  binDir: absolutePath
    .default('/opt/cni/bin')
    .describe(
      "Where the nodes keep their CNI plugin binaries (kubelet and containerd default: /opt/cni/bin; Debian's package: /usr/lib/cni).",
    ),
});

// ---------------------------------------------------------------------------------------------------------------
// Add-ons

const dnsShape = {
  /** coredns: the CoreDNS objects kubeadm installs; none: leave cluster DNS out. @default 'coredns' */
  provider: z.enum(['coredns', 'none']).default('coredns'),
  /** CoreDNS image tag on registry.k8s.io/coredns/coredns. @default 'v1.10.1' (the version Kubernetes 1.27/1.28 ship) */
  version: imageTag.optional(),
  /** Deployment replicas. @default 2 (what `kubeadm init` sets) */
  replicas: z.number().int().min(1).optional(),
  /**
   * The Corefile (parsed and validated, then shipped as written). Cannot be combined with `upstreams`, `hosts` or
   * `stubDomains`: write those into the Corefile.
   * @default - kubeadm's Corefile for the cluster domain, with `upstreams`, `hosts` and `stubDomains` applied
   */
  corefile: z.string().optional(),
  /**
   * Upstream resolvers for names outside the cluster (forward plugin): IPv4 addresses, `[dns|tls]://address[:port]`
   * or a resolv.conf file.
   * @default ['/etc/resolv.conf'] (the node's resolvers)
   */
  upstreams: z
    .array(
      z.string().regex(/^\S+$/, {
        message: 'must be one token: an IPv4 address, [dns|tls]://address[:port] or an absolute path',
      }),
    )
    .optional(),
  /** Static entries served by a `hosts` plugin with `fallthrough`. @default - none (no hosts plugin) */
  hosts: z
    .array(
      z.strictObject({
        ip: address,
        /** Host names that resolve to `ip`, at least one. Required. */
        names: z.array(hostName).min(1),
      }),
    )
    .optional(),
  /** Zone → upstream servers; each zone becomes a server block forwarding to them. @default - none */
  stubDomains: record(z.string(), z.array(address).min(1)).optional(),
};
export const dnsSchema: z.ZodObject<typeof dnsShape, z.core.$strict> = z.strictObject(dnsShape);

const ingressControllerShape = {
  /** ingress-nginx: the upstream controller manifest; none: no ingress controller. @default 'ingress-nginx' */
  provider: z.enum(['ingress-nginx', 'none']).default('ingress-nginx'),
  /**
   * Upstream provider manifest to follow: cloud (LoadBalancer Service) or baremetal (NodePort Service).
   * @default 'baremetal'
   */
  flavor: z.enum(['cloud', 'baremetal']).default('baremetal'),
  /** Controller version: the `app.kubernetes.io/version` label and the default image tag. @default '1.8.2' */
  version: imageTag.optional(),
  /** Controller Deployment replicas. @default - unset (Kubernetes' default, 1), as upstream */
  replicas: z.number().int().min(1).optional(),
  /** Make `nginx` the cluster's default IngressClass (ingressclass.kubernetes.io/is-default-class). @default false */
  defaultClass: z.boolean().optional(),
  /** Type of the controller Service. @default - LoadBalancer for cloud, NodePort for baremetal */
  serviceType: z.enum(['LoadBalancer', 'NodePort', 'ClusterIP']).optional(),
  /**
   * Fixed NodePorts of the controller Service (30000-32767), `http` (port 80) and `https` (port 443); claimed in the
   * ClusterNetwork in scope, so a clash with another Service is an error. Not allowed with serviceType ClusterIP.
   * @default - allocated by the API server
   */
  nodePorts: z
    .strictObject({
      /** NodePort of the Service's port 80. @default - allocated by the API server */
      http: port.optional(),
      /** NodePort of the Service's port 443. @default - allocated by the API server */
      https: port.optional(),
    })
    .optional(),
  /** Extra controller flags, appended as `--key=value`, e.g. `{ 'enable-ssl-passthrough': 'true' }`. @default - none */
  extraArgs: record(z.string(), z.string()).optional(),
  /**
   * Entries of the controller ConfigMap (NGINX configuration, e.g. `use-forwarded-headers`), merged over
   * upstream's `allow-snippet-annotations: "true"`.
   * @default - upstream's data only
   */
  config: record(z.string(), z.string()).optional(),
};
export const ingressControllerSchema: z.ZodObject<typeof ingressControllerShape, z.core.$strict> =
  z.strictObject(ingressControllerShape);

/** https://host[:port] of the API server: a DNS name, an IPv4 address or a bracketed IPv6 address; no path. */
export const CONTROL_PLANE_ENDPOINT =
  /^https:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?\/?$/;

const kubeProxyShape = {
  /** Proxy mode. @default 'iptables' */
  mode: z.enum(['iptables', 'ipvs']).default('iptables'),
  /**
   * ipvs.strictARP: answer ARP only for addresses on the receiving interface (MetalLB needs it). ipvs mode only.
   * @default false
   */
  strictArp: z.boolean().optional(),
  /**
   * API server URL kube-proxy talks to (kubeadm's controlPlaneEndpoint), e.g. `https://192.168.1.11:6443`.
   * kube-proxy cannot use the `kubernetes` Service: it is what makes Services work. Required by the construct; in
   * the cluster file, setting it synthesizes the kube-system ConfigMap kube-proxy (replacing kubeadm's), and mode
   * ipvs or strictArp need it.
   * @default - kubeadm's kube-proxy ConfigMap is left alone
   */
  controlPlaneEndpoint: z
    .string()
    .regex(CONTROL_PLANE_ENDPOINT, {
      message: 'must be an https URL of the API server such as https://192.168.1.11:6443',
    })
    .optional(),
};
export const kubeProxySchema: z.ZodObject<typeof kubeProxyShape, z.core.$strict> = z.strictObject(kubeProxyShape);

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes objects the user wants synthesized

const objectMeta = {
  /** Object name (metadata.name, DNS-1123 subdomain). Required. */
  name: dnsSubdomain,
  /** Namespace of the object (metadata.namespace). @default 'default' */
  namespace: dnsLabel.default('default'),
  /** @default - none */
  labels: labels.optional(),
  /** @default - none */
  annotations: labels.optional(),
};

const servicePortShape = {
  /** Port name (DNS-1123 label); Ingress backends may refer to it. @default - unnamed (allowed for a single port) */
  name: dnsLabel.optional(),
  /** The port the Service listens on, 1-65535. Required. */
  port,
  /** The Pods' port: a number or a named container port. @default - the same as `port` */
  targetPort: portOrName.optional(),
  /** @default 'TCP' */
  protocol: protocol.optional(),
  /** Port opened on every node, 30000-32767; only for NodePort and LoadBalancer. @default - chosen by the API server */
  nodePort: z.number().int().optional(),
  /** Application protocol hint, e.g. `http`. @default - none */
  appProtocol: z.string().optional(),
};
export const servicePortSchema: z.ZodObject<typeof servicePortShape, z.core.$strict> = z.strictObject(servicePortShape);

const serviceShape = {
  ...objectMeta,
  /** Service name (DNS-1035 label: it becomes a DNS name). */
  name: dnsLabel,
  /** @default 'ClusterIP' */
  type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).default('ClusterIP'),
  /** Pods to send traffic to. @default - none: endpoints are managed by hand (or ExternalName) */
  selector: labels.optional(),
  /** A fixed address inside serviceCidr, or "None" for a headless Service. @default - allocated by the API server */
  clusterIP: z.string().optional(),
  /**
   * Dual-stack: the Service's cluster IPs, at most one per family, in ipFamilies' order; the first equals clusterIP
   * when both are written. Each inside serviceCidr's range of its family. @default - allocated by the API server
   */
  clusterIPs: z.array(z.string()).optional(),
  /**
   * SingleStack, PreferDualStack (both families when the cluster has them) or RequireDualStack (both, or the API
   * server refuses the Service). @default - SingleStack (the API server's)
   */
  ipFamilyPolicy: z.enum(['SingleStack', 'PreferDualStack', 'RequireDualStack']).optional(),
  /** The Service's IP families, primary first: IPv4, IPv6 or both. @default - the cluster's primary family */
  ipFamilies: z.array(z.enum(['IPv4', 'IPv6'])).optional(),
  /** DNS name an ExternalName Service aliases (required for that type, forbidden otherwise). @default - none */
  externalName: z
    .string()
    .optional()
    .describe('DNS name (DNS-1123 subdomain) an ExternalName Service aliases; a trailing dot is allowed.'),
  /** NodePort/LoadBalancer only. @default - the API server's default ('Cluster') */
  externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  /** LoadBalancer only. @default - chosen by the load balancer */
  loadBalancerIP: address.optional(),
  /** Client CIDRs a cloud load balancer admits; LoadBalancer only. @default - every client */
  loadBalancerSourceRanges: z
    .array(z.string())
    .optional()
    .describe('LoadBalancer only: client CIDRs the load balancer admits (IPv4 or IPv6).'),
  /** @default - the API server's default ('None') */
  sessionAffinity: z.enum(['None', 'ClientIP']).optional(),
  /** Required except for ExternalName and headless Services. @default [] */
  ports: z.array(servicePortSchema).default([]),
};
export const serviceSchema: z.ZodObject<typeof serviceShape, z.core.$strict> = z.strictObject(serviceShape);

const labelSelectorRequirement = z.strictObject({
  /** The label key the requirement applies to. Required. */
  key: z.string(),
  /** In, NotIn (the label's value is / is not one of `values`), Exists, DoesNotExist (the label is / is not set). Required. */
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  /** Values for In and NotIn (non-empty); empty for Exists and DoesNotExist. @default - none */
  values: z.array(z.string()).optional(),
});
const labelSelectorShape = {
  /** Labels the object must carry, all of them (AND). @default - no label required */
  matchLabels: labels.optional(),
  /** Set-based requirements, all of them (AND). @default - none */
  matchExpressions: z.array(labelSelectorRequirement).optional(),
};
export const labelSelectorSchema: z.ZodObject<typeof labelSelectorShape, z.core.$strict> =
  z.strictObject(labelSelectorShape);

const networkPolicyPeerShape = {
  /**
   * An address range (`cidr`), minus networks inside it (`except`, each strictly smaller). An ipBlock must stand
   * alone in its item.
   * @default - no address range
   */
  ipBlock: z
    .strictObject({
      cidr,
      /** Networks inside `cidr` that are not part of the block. @default - none */
      except: z.array(cidr).optional(),
    })
    .optional(),
  /** Namespaces whose pods are selected (`{}`: every namespace). @default - the policy's own namespace */
  namespaceSelector: labelSelectorSchema.optional(),
  /** Pods selected (`{}`: every pod). @default - every pod of the selected namespaces */
  podSelector: labelSelectorSchema.optional(),
};
export const networkPolicyPeerSchema: z.ZodObject<typeof networkPolicyPeerShape, z.core.$strict> =
  z.strictObject(networkPolicyPeerShape);
const networkPolicyPortShape = {
  /** @default 'TCP' */
  protocol: protocol.optional(),
  /** A port number, or a named container port. @default - every port of the protocol */
  port: z
    .union([z.number().int(), z.string()], { error: 'must be a port number or a named container port' })
    .optional(),
  /** Last port of a range starting at the numeric `port`. @default - a single port */
  endPort: z.number().int().optional(),
};
export const networkPolicyPortSchema: z.ZodObject<typeof networkPolicyPortShape, z.core.$strict> =
  z.strictObject(networkPolicyPortShape);
const networkPolicyShape = {
  ...objectMeta,
  /** Pods the policy applies to. @default {} (every pod of the namespace) */
  podSelector: labelSelectorSchema.default({}),
  /** @default - Ingress, plus Egress when egress rules are given (the API server's default) */
  policyTypes: z.array(z.enum(['Ingress', 'Egress'])).optional(),
  /** Allowed incoming traffic; `[]` allows none. @default - absent (no ingress allowed when Ingress is a policy type) */
  ingress: z
    .array(
      z.strictObject({
        /** Sources, ORed. @default - every source */
        from: z.array(networkPolicyPeerSchema).optional(),
        /** Ports, ORed. @default - every port */
        ports: z.array(networkPolicyPortSchema).optional(),
      }),
    )
    .optional(),
  /** Allowed outgoing traffic; `[]` allows none. @default - absent */
  egress: z
    .array(
      z.strictObject({
        /** Destinations, ORed. @default - every destination */
        to: z.array(networkPolicyPeerSchema).optional(),
        /** Ports, ORed. @default - every port */
        ports: z.array(networkPolicyPortSchema).optional(),
      }),
    )
    .optional(),
};
export const networkPolicySchema: z.ZodObject<typeof networkPolicyShape, z.core.$strict> =
  z.strictObject(networkPolicyShape);

/**
 * Where an Ingress path sends requests: a Service of the same namespace (`service`, its name) and one of its ports
 * (`port`, a number or a name).
 */
const ingressBackend = z.strictObject({
  /** Name of a Service in the Ingress's namespace. Required. */
  service: dnsLabel,
  /** A port of that Service: its number or its name. Required. */
  port: portOrName,
});
const ingressShape = {
  ...objectMeta,
  /** The IngressClass (e.g. 'nginx'). @default - the cluster's default class */
  ingressClassName: dnsSubdomain.optional(),
  /** Sets the nginx.ingress.kubernetes.io/rewrite-target annotation, e.g. '/'. @default - no rewrite */
  rewriteTarget: z.string().optional(),
  /** Where requests no rule matches go. @default - the controller's default backend */
  defaultBackend: ingressBackend.optional(),
  /** @default - no TLS */
  tls: z
    .array(
      z.strictObject({
        /** Host names the certificate covers. @default - the hosts of the rules (the controller decides) */
        hosts: z.array(z.string()).optional(),
        /**
         * The kubernetes.io/tls Secret holding the certificate (made from certFile/keyFile when they are given).
         * @default - the controller's default certificate (ingress-nginx: --default-ssl-certificate)
         */
        secretName: z.string().optional(),
        /**
         * PEM certificate file (relative to the cluster file, or to `baseDir` in props); with keyFile, a Secret is
         * synthesized.
         * @default - the Secret exists already
         */
        certFile: z.string().optional(),
        /** PEM private key file, with certFile. @default - the Secret exists already */
        keyFile: z.string().optional(),
      }),
    )
    .optional(),
  /** @default [] (then defaultBackend is required) */
  rules: z
    .array(
      z.strictObject({
        /** Host name (a leading `*.` wildcard is allowed). @default - every host */
        host: z.string().optional(),
        /** The paths of this host, at least one. Required. */
        paths: z
          .array(
            z.strictObject({
              /** URL path matched against the request. @default '/' */
              path: z.string().default('/'),
              /** How `path` matches: Prefix (by path element), Exact, or ImplementationSpecific. @default 'Prefix' */
              pathType: z.enum(['Prefix', 'Exact', 'ImplementationSpecific']).default('Prefix'),
              /** The Service and port that receive matching requests. Required. */
              backend: ingressBackend,
            }),
          )
          .min(1),
      }),
    )
    .default([]),
};
export const ingressSchema: z.ZodObject<typeof ingressShape, z.core.$strict> = z.strictObject(ingressShape);

// >>> Workloads and namespaces for NetworkPolicy analysis (`netstrap netpol`, src/model/netpol/; issue 13)
// Declared for analysis only: namespaces are synthesized (with their labels), workloads are not (they are the
// user's applications, deployed by other means).

export const namespaceSchema = z.strictObject({
  /** Namespace name (DNS-1123 label). Required. */
  name: dnsLabel,
  labels: labels
    .optional()
    .describe('Labels of the namespace (kubernetes.io/metadata.name is always set to its name).'),
});

export const containerPortSchema = z.strictObject({
  name: z.string().optional().describe('Port name (IANA_SVC_NAME), as NetworkPolicy named ports refer to it.'),
  /** The port the container listens on, 1-65535. Required. */
  containerPort: port,
  /** @default 'TCP' */
  protocol: protocol.default('TCP'),
});

export const workloadSchema = z.strictObject({
  /** Name of the workload (its controller or Pod). Required. */
  name: dnsSubdomain,
  /** Namespace of the workload. @default 'default' */
  namespace: dnsLabel.default('default'),
  kind: z
    .enum(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'])
    .default('Deployment')
    .describe('The kind of the controller (or Pod); keys are NS/NAME, or NS/KIND/NAME when two kinds share a name.'),
  podLabels: labels.default({}).describe("Labels of the workload's pods (its pod template), as policies select them."),
  ports: z.array(containerPortSchema).default([]).describe('Container ports of the pods.'),
  podIPs: z
    .array(z.string().describe('IPv4 or IPv6 address, e.g. 10.244.1.5 or fd00:10:244:1::5'))
    .optional()
    .describe(
      'Fixed pod addresses inside podCidr (a dual-stack pod: one of each family), for ipBlock analysis. Default: unknown.',
    ),
});
// <<< Workloads and namespaces

export const kubernetesSchema = z.strictObject({
  /** Services to synthesize. @default [] */
  services: z.array(serviceSchema).default([]),
  /** Ingresses to synthesize (networking.k8s.io/v1). @default [] */
  ingresses: z.array(ingressSchema).default([]),
  /** NetworkPolicies to synthesize (networking.k8s.io/v1); checked by `netstrap netpol`. @default [] */
  networkPolicies: z.array(networkPolicySchema).default([]),
  namespaces: z
    .array(namespaceSchema)
    .optional()
    .describe('Namespaces with their labels (synthesized as Namespace objects).'),
  workloads: z
    .array(workloadSchema)
    .optional()
    .describe("The applications' pods, for `netstrap netpol` and its lints. Default: none declared (lints off)."),
});

// ---------------------------------------------------------------------------------------------------------------
// Nodes and their host-side network intents (applied over SSH by the host provisioner)

export const sshSchema = z.strictObject({
  host: sshHost.describe('Address or ~/.ssh/config alias used to reach the node.'),
  /** SSH port of the node. @default 22 */
  port: port.default(22),
  /** Remote user (root, or a user with passwordless sudo). @default 'root' */
  user: z.string().regex(USER_NAME, { message: 'must be a user name' }).default('root'),
  identityFile: z
    .string()
    .min(1, { message: 'must not be empty: leave identityFile out to use ssh-agent and the default keys' })
    .refine((file) => !file.includes('\0'), { message: 'must not contain a NUL character: no file has such a name' })
    .optional()
    .describe('Private key file. Default: ssh-agent, then ~/.ssh/id_ed25519 and id_rsa.'),
  jumpHost: z
    .string()
    .regex(JUMP_HOST, { message: 'must be [user@]host[:port] of a bastion, e.g. admin@bastion.example.com:22' })
    .refine(
      (jump) => Number(/:(\d+)$/.exec(jump)?.[1] ?? 22) <= 65535 && Number(/:(\d+)$/.exec(jump)?.[1] ?? 22) >= 1,
      { message: 'port must be 1-65535' },
    )
    .refine(
      (jump) => {
        const host = jump.replace(/^[^@]*@/, '').replace(/:\d+$/, '');
        return host.startsWith('[') || canonicalIfNumeric(host);
      },
      { message: `host ${NOT_CANONICAL_IPV4}` },
    )
    .superRefine((jump, ctx) => {
      // JUMP_HOST lets only hex digits and colons into the brackets: the address itself is checked here.
      const literal = /\[([^\]]*)\]/.exec(jump)?.[1];
      const parsed = literal === undefined ? undefined : parseNodeAddress(literal);
      if (parsed && !parsed.ok) ctx.addIssue({ code: 'custom', message: `host ${parsed.error}` });
    })
    .optional()
    .describe('user@host:port of a bastion to go through; an IPv6 address in brackets, e.g. admin@[fd00::1]:22.'),
});

export const nodeInterfaceSchema = z.strictObject({
  /** Interface name on the node, e.g. `eth0`. Required. */
  name: interfaceName,
  lan: dnsLabel.optional().describe('The LAN (see lans) this interface is cabled to; used by `netstrap lab`.'),
  /**
   * Addresses with prefix, IPv4 or IPv6, e.g. `[192.168.1.11/24, fd00:192:168:1::11/64]`; netstrap adds the missing
   * ones.
   * @default []
   */
  addresses: z.array(interfaceAddress).default([]),
  /** MTU of the interface. @default - left as it is */
  mtu: z.number().int().min(68).max(65535).optional(),
});

export const routeSchema = z.strictObject({
  to: z
    .string()
    .describe(
      'Destination CIDR (IPv4 or IPv6, the family of via), or "default": the default route of via\'s family (0.0.0.0/0 or ::/0).',
    ),
  /** Next hop: an address (IPv4 or IPv6) on a network of the node. Required. */
  via: nodeAddress,
  /** Interface to send through. @default - the one whose network holds `via` */
  dev: interfaceName.optional(),
  /** Route metric (lower wins). @default - the kernel's (0) */
  metric: z.number().int().min(0).optional(),
});

export const bridgeSchema = z.strictObject({
  /** Bridge name, e.g. `br0`. Required. */
  name: interfaceName,
  /** Addresses of the bridge itself (IPv4 or IPv6), e.g. the gateway of the namespaces on it. @default [] */
  addresses: z.array(interfaceAddress).default([]),
});

const netnsShape = z.strictObject({
  /** Network namespace name (`ip netns`), e.g. `blue`. Required. */
  name: namespaceName,
  /** A veth pair: `hostSide` stays on the node (optionally in a bridge), `name` moves into the namespace. */
  veth: z.strictObject({
    /** Name of the end inside the namespace. @default 'eth0' */
    name: interfaceName.default('eth0'),
    /** Name of the end that stays on the node, e.g. `veth-blue`. Required. */
    hostSide: interfaceName,
    /** A bridge of the node (see bridges) the host side joins. @default - none (a point-to-point link) */
    bridge: interfaceName.optional(),
    address: z
      .union([interfaceAddress, z.array(interfaceAddress).min(1).max(2)], {
        error: 'must be an address with prefix, or a list of one IPv4 and one IPv6 address with prefix',
      })
      .describe(
        'Address of the namespace end, with prefix; dual-stack: a list of one per family, e.g. [10.0.0.2/24, fd00::2/64]. Required.',
      ),
  }),
  defaultRoute: addressPerFamily
    .optional()
    .describe(
      'Gateway of the namespace, usually the bridge address; dual-stack: a list of one per family, e.g. [10.0.0.1, fd00::1].',
    ),
});
type NetnsInput = z.output<typeof netnsShape>;
/**
 * A namespace as every layer reads it: `veth.address` and `defaultRoute` are the first written (as before
 * dual-stack); `veth.addresses` and `defaultRoutes` every one written, in order (one per family).
 */
export type Netns = Omit<NetnsInput, 'veth' | 'defaultRoute'> & {
  veth: Omit<NetnsInput['veth'], 'address'> & { address: string; addresses: string[] };
  defaultRoute?: string;
  defaultRoutes: string[];
};
const asList = (value: string | readonly string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
export const netnsSchema = netnsShape.transform((ns): Netns => {
  const addresses = asList(ns.veth.address);
  const defaultRoutes = asList(ns.defaultRoute);
  const { defaultRoute: _written, ...rest } = ns;
  void _written;
  return {
    ...rest,
    veth: { ...ns.veth, address: addresses[0], addresses },
    ...(defaultRoutes.length > 0 && { defaultRoute: defaultRoutes[0] }),
    defaultRoutes,
  };
});

export const natSchema = z.strictObject({
  /** Source NAT: traffic from `source` leaving the node takes the address of the outgoing interface (iptables MASQUERADE). @default [] */
  masquerade: z
    .array(
      z.strictObject({
        /** The network whose traffic is masqueraded, IPv4 (iptables) or IPv6 (ip6tables). Required. */
        source: nodeCidr,
        /** Only traffic leaving through this interface. @default - any interface */
        outInterface: interfaceName.optional(),
        exceptDestination: nodeCidr
          .optional()
          .describe(
            'Traffic to this network (of the family of source) keeps its source address (iptables ! -d), e.g. the pod network.',
          ),
      }),
    )
    .default([]),
  /** Destination NAT: connections to `port` of the node are sent on to `to` (iptables DNAT). @default [] */
  portForwards: z
    .array(
      z.strictObject({
        /** tcp or udp. Required. */
        protocol: z.enum(['tcp', 'udp']),
        /** Port on the node. Required. */
        port,
        to: z.string().describe('Destination ip:port, e.g. 10.10.0.3:80, or [ipv6]:port, e.g. [fd00::3]:80.'),
        /** Only connections arriving on this interface. @default - any interface */
        inInterface: interfaceName.optional(),
      }),
    )
    .default([]),
});

/** The values of a node's `networkManager`. */
export const NETWORK_MANAGERS = ['auto', 'none', 'networkd', 'netplan', 'NetworkManager', 'ifupdown'] as const;
export type NetworkManagerSetting = (typeof NETWORK_MANAGERS)[number];

export const nodeSchema = z.strictObject({
  /** Node name (the Kubernetes node name for control-plane and worker nodes). Required. */
  name: z.string().regex(HOST_NAME, { message: 'must be a host name' }),
  /** How netstrap reaches the node over SSH. Required. */
  ssh: sshSchema,
  role: z
    .enum(['control-plane', 'worker', 'host'])
    .default('worker')
    .describe(
      'control-plane or worker: a Kubernetes node (gets a pod subnet and CNI files); host: a machine of the topology that is not a Kubernetes node, such as a router or a bastion.',
    ),
  podSubnet: z
    .union([nodeCidr, z.array(nodeCidr).min(1).max(2)], {
      error: 'must be a CIDR string, or a list of one IPv4 and one IPv6 CIDR',
    })
    .optional()
    .describe(
      "This node's slice of podCidr (bridge CNI); dual-stack: one per family, e.g. [10.244.5.0/24, fd00:10:244:5::/64]. Default: the first free /network.nodeCidrMaskSize (IPv6: nodeCidrMaskSizeIPv6) slice, in file order.",
    ),
  /** The node's network interfaces and their addresses. @default [] */
  interfaces: z.array(nodeInterfaceSchema).default([]),
  /** Kernel parameters to set and persist, e.g. `{ net.ipv4.ip_forward: 1 }`. @default {} */
  sysctls: record(
    z.string().regex(SYSCTL_KEY, { message: 'must be a sysctl key such as net.ipv4.ip_forward' }),
    z.union([z.string().regex(/^[A-Za-z0-9 ._:-]*$/), z.number().int()], {
      error: 'must be a whole number or a string of letters, digits, spaces and . _ : -',
    }),
  ).default({}),
  kubernetesPrerequisites: z
    .boolean()
    .default(false)
    .describe(
      'Load br_netfilter and set net.bridge.bridge-nf-call-ip{,6}tables=1 and ip_forward=1, as kubeadm requires.',
    ),
  /** Static routes of the node (with routing: auto, added to the derived ones; a route written here wins). @default [] */
  routes: z.array(routeSchema).default([]),
  /** Linux bridges to create on the node. @default [] */
  bridges: z.array(bridgeSchema).default([]),
  /** Network namespaces to create, each joined to the node by a veth pair. @default [] */
  namespaces: z.array(netnsSchema).default([]),
  /** iptables NAT rules: masquerade (SNAT) and portForwards (DNAT). @default - none */
  nat: natSchema.default({ masquerade: [], portForwards: [] }),
  /** Entries of the node's /etc/hosts. @default [] */
  hosts: z
    .array(
      z.strictObject({
        ip: nodeAddress,
        /** Host names for `ip`, at least one. Required. */
        names: z.array(hostName).min(1),
      }),
    )
    .default([]),
  /** The node's /etc/resolv.conf. @default - left as it is */
  resolv: z
    .strictObject({
      /**
       * Name server addresses (IPv4 or IPv6), in order; a link-local IPv6 one with its zone id, e.g. `fe80::1%eth0`.
       * @default []
       */
      nameservers: z.array(nodeAddress).default([]),
      /** Search domains. @default [] */
      search: z.array(hostName).default([]),
    })
    .optional(),
  cniConflists: z.boolean().default(false).describe("Write the cluster's CNI conflist into /etc/cni/net.d."),
  runsCoreDns: z.boolean().default(false).describe('This node will run CoreDNS (warns about a 127.0.0.53 resolver).'),
  /**
   * The network manager that owns this node's interfaces. auto: detected on each run (systemd-networkd's state under
   * /run/systemd/netif, /etc/netplan, NetworkManager, ifupdown). networkd or netplan: netstrap writes the addresses and
   * routes of the links networkd manages into a drop-in of their .network file, so networkd keeps them. none: netstrap
   * sets them with iproute2 only, as on a node without a manager. NetworkManager, ifupdown: detected and reported only.
   * @default 'auto'
   */
  networkManager: z.enum(NETWORK_MANAGERS).optional(),
  /** What `netstrap lab` emulates on this node; ignored by every other command. @default - a bare node */
  lab: z
    .strictObject({
      /**
       * A network manager the lab runs inside the node, as an installed server would: networkd (a .network file per
       * LAN interface with its first address, under the node's /etc/systemd/network) or netplan (the same through a
       * netplan YAML in /etc/netplan and `netplan generate`), started before anything else touches the node.
       * @default 'none'
       */
      networkManager: z.enum(['none', 'networkd', 'netplan']).optional(),
    })
    .optional(),
});

/**
 * Values every node takes unless it sets the key itself (`nodeDefaults:` at the root): any node key but `name` and
 * `ssh`. A node's own value replaces the default as a whole (a list or a map is not merged key by key).
 */
export const nodeDefaultsSchema = nodeSchema.omit({ name: true, ssh: true }).partial();

const lanShape = {
  /** LAN name, referred to by interfaces' `lan`. Required. */
  name: dnsLabel,
  /**
   * The LAN's network, e.g. `192.168.1.0/24`; dual-stack: a list of one IPv4 and one IPv6 range,
   * `[192.168.1.0/24, fd00:192:168:1::/64]` (or the comma string). Required.
   */
  cidr: cidrs,
};
/** A LAN: `cidr` is its first range (as before dual-stack), `cidrs` every range written, in order. */
export const lanSchema = z.strictObject(lanShape).transform((lan) => {
  const all = rangeList(lan.cidr);
  return { ...lan, cidr: all[0], cidrs: all };
});

/**
 * The network layout of a cluster file: `podCidr` and `serviceCidr` are the primary family's range (the first one
 * written), as before dual-stack; `podCidrs` and `serviceCidrs` every range written, in order (as a Service's
 * clusterIP and clusterIPs).
 */
export const clusterNetworkSchema = networkSchema.transform((network) => {
  const podCidrs = rangeList(network.podCidr);
  const serviceCidrs = rangeList(network.serviceCidr);
  return { ...network, podCidr: podCidrs[0], serviceCidr: serviceCidrs[0], podCidrs, serviceCidrs };
});

export const verifySchema = z.strictObject({
  from: z
    .string()
    .describe('Node name, or node/namespace to run from a network namespace (declared, or a pod) on that node.'),
  ping: z
    .string()
    .optional()
    .describe(
      'Address (IPv4 or IPv6), node, or node/namespace (a declared namespace or a pod, resolved when the check runs).',
    ),
  tcp: z
    .string()
    .optional()
    .describe('TARGET:port, TARGET as for ping, e.g. 10.0.0.2:80, [fd00::2]:80 or node02/db:5432.'),
  /** Whether the check should succeed (reachable) or fail (blocked). @default 'success' */
  expect: z.enum(['success', 'failure']).default('success'),
});

export const labSchema = z.strictObject({
  managementCidr: nodeCidr
    .default('10.250.0.0/24')
    .describe(
      "Network between this machine and the lab nodes (IPv4, or IPv6 inside fd00::/8); every node's ssh.host must lie inside it.",
    ),
});

// ---------------------------------------------------------------------------------------------------------------
// The cluster file

export const clusterSchema = z.strictObject({
  name: dnsLabel.describe('Cluster name; also the name of the synthesized chart (dist/<name>.k8s.yaml).'),
  /** Pod, service and node ranges and the cluster domain. Required. */
  network: clusterNetworkSchema,
  /** The CNI plugin and its options. @default { plugin: 'weave' } */
  cni: cniSchema.default({ plugin: 'weave', installer: false, binDir: '/opt/cni/bin' }),
  /** kube-proxy's mode and configuration. @default { mode: 'iptables' } */
  kubeProxy: kubeProxySchema.default({ mode: 'iptables' }),
  /** Cluster DNS (CoreDNS). @default { provider: 'coredns' } */
  dns: dnsSchema.default({ provider: 'coredns' }),
  /** The ingress controller (ingress-nginx). @default { provider: 'ingress-nginx', flavor: 'baremetal' } */
  ingressController: ingressControllerSchema.default({ provider: 'ingress-nginx', flavor: 'baremetal' }),
  /** Kubernetes objects to synthesize (Services, Ingresses, NetworkPolicies, Namespaces) and workloads for analysis. @default - none */
  kubernetes: kubernetesSchema.default({ services: [], ingresses: [], networkPolicies: [] }),
  routing: z
    .enum(['manual', 'auto'])
    .default('manual')
    .describe(
      "auto: derive every node's static routes (other LANs via routers, other nodes' pod subnets) from lans and nodes. Default: manual (only the routes written).",
    ),
  /** The layer-2 networks the nodes' interfaces are cabled to (for routing: auto, netstrap lab and trace). @default [] */
  lans: z.array(lanSchema).default([]),
  /** The machines netstrap provisions over SSH, with their host-side network. @default [] */
  nodes: z.array(nodeSchema).default([]),
  /**
   * Keys every node takes unless it sets them itself, e.g. `{ role: host, sysctls: { net.ipv4.ip_forward: 1 } }`: any
   * node key but name and ssh. A node's own value replaces the default whole (lists and maps are not merged).
   * @default - none
   */
  nodeDefaults: nodeDefaultsSchema.optional(),
  /** Reachability checks `netstrap verify` runs from the nodes (ping or TCP). @default [] */
  verify: z.array(verifySchema).default([]),
  /** Settings of `netstrap lab` (network-namespace emulation of the nodes); ignored by every other command. @default - managementCidr 10.250.0.0/24 */
  lab: labSchema.default({ managementCidr: '10.250.0.0/24' }),
});

/** A cluster file as written (before defaults). */
export type ClusterInput = z.input<typeof clusterSchema>;
/** `T` with every field, array and nested object readonly (functions, and values of type `Keep`, as they are). */
export type DeepReadonly<T, Keep = never> = T extends Keep | ((...args: never[]) => unknown)
  ? T
  : T extends ReadonlyArray<infer E>
    ? ReadonlyArray<DeepReadonly<E, Keep>>
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K], Keep> }
      : T;
/**
 * A cluster file after parsing, with every default filled in: deep-readonly, as nothing changes a cluster once
 * parsed (canonical.ts makes a new one).
 */
export type ParsedCluster = DeepReadonly<z.output<typeof clusterSchema>>;
/**
 * The cluster every layer works with: a parsed cluster file with what netstrap derives from it (`derived`: pod
 * subnets, derived routes, effective nodes), made by resolveCluster() in resolve.ts.
 */
export type Cluster = ParsedCluster & { readonly derived: ClusterDerived };
export type Network = Cluster['network'];
export type ClusterNode = Cluster['nodes'][number];
export type ServiceSpec = Cluster['kubernetes']['services'][number];
export type IngressSpec = Cluster['kubernetes']['ingresses'][number];
export type NetworkPolicySpec = Cluster['kubernetes']['networkPolicies'][number];
export type WorkloadSpec = NonNullable<Cluster['kubernetes']['workloads']>[number];
export type NamespaceSpec = NonNullable<Cluster['kubernetes']['namespaces']>[number];
export type CniConflistSpec = z.output<typeof cniConflistSchema>;

// ---------------------------------------------------------------------------------------------------------------
// What netstrap derives from a cluster file (resolveCluster() in resolve.ts makes it): plain data, so that a copy
// of a cluster carries it. Declared here, beside Cluster, so that the modules deriving it only import downwards.

/** Where a node's pod subnet comes from. */
export type PodSubnetSource = 'podSubnet' | 'cni.bridge.subnet' | 'allocated';

/** The pod subnet of one node (pod-subnets.ts). */
export interface PodSubnet {
  readonly node: string;
  /** Index of the node in cluster.nodes. */
  readonly index: number;
  readonly cidr: string;
  /** The range as integers, for loops over many subnets. */
  readonly numeric: NumericRange;
  readonly source: PodSubnetSource;
  /**
   * The node's slice of podCidr's IPv6 range (dual-stack), canonical (`fd00:10:244::/64`): Kubernetes nodes in file
   * order each take the next /network.nodeCidrMaskSizeIPv6. Absent in an IPv4-only cluster.
   */
  readonly ipv6?: string;
}

/** The pod subnets of a cluster (one entry per Kubernetes node that has one, in file order) and their problems. */
export interface PodSubnetTable {
  readonly subnets: readonly PodSubnet[];
  readonly byNode: ReadonlyMap<string, PodSubnet>;
  readonly issues: readonly Issue[];
}

/** One route routing: auto gives a node (routing.ts). */
export interface DerivedRoute {
  /** Destination network, canonical (`192.168.2.0/24`). */
  readonly to: string;
  readonly via: string;
  /** Why it is there: `LAN lan2 via router r1`, `pod subnet of node03 via node03`. */
  readonly reason: string;
}

/** The routes routing: auto derives for a cluster. */
export interface Routing {
  /** Node name → its derived routes (only those no hand-written route replaces). */
  readonly routes: ReadonlyMap<string, readonly DerivedRoute[]>;
  /** Names of the nodes that route between LANs, in file order. */
  readonly routers: readonly string[];
  readonly issues: readonly Issue[];
}

/** What netstrap derives from a cluster file. */
export interface ClusterDerived {
  /** The parts of the cluster it was derived from (see {@link derivedIsCurrent}). */
  readonly from: Pick<ParsedCluster, 'nodes' | 'lans' | 'network' | 'cni' | 'routing'>;
  /** The pod subnet of every Kubernetes node that has one, and their problems (pod-subnets.ts). */
  readonly podSubnets: PodSubnetTable;
  /** The routes `routing: auto` gives each node, and their problems (routing.ts). */
  readonly routing: Routing;
  /** Every node as the provisioner applies it (effective.ts), in file order. */
  readonly nodes: readonly ClusterNode[];
  /** The same nodes by name. */
  readonly byName: ReadonlyMap<string, ClusterNode>;
}

/**
 * True when `cluster.derived` was derived from the very nodes, LANs, network, CNI and routing the cluster has now:
 * a copy made with `{ ...cluster }` or structuredClone is; a copy in which one of them was replaced
 * (`{ ...cluster, nodes }`) is not, and the accessors (podSubnets, deriveRouting, effectiveNodes) derive its data
 * anew, without keeping it. Nothing changes a cluster in place (its type is deep-readonly), so identity tells.
 */
export function derivedIsCurrent(cluster: Cluster): boolean {
  const { from } = cluster.derived;
  return (
    from.nodes === cluster.nodes &&
    from.lans === cluster.lans &&
    from.network === cluster.network &&
    from.cni === cluster.cni &&
    from.routing === cluster.routing
  );
}
