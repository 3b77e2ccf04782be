/**
 * IPv4 address and CIDR handling, through ip-num: parsing with messages a user can act on, containment,
 * overlap and "the n-th address of a range". No bit arithmetic is done by hand anywhere in netstrap.
 */
import { collapseIPv6Number, expandIPv6Number, IPv4, IPv4CidrRange, IPv6, IPv6CidrRange, Validator } from 'ip-num';
import { show } from './errors';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const IPV4_SHAPE = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Explains why a dotted-quad string is not an IPv4 address, or returns undefined when it is one. */
function addressProblem(text: string): string | undefined {
  if (!IPV4_SHAPE.test(text)) return 'expected an IPv4 address such as 10.0.0.1';
  const bad = text.split('.').find((octet) => Number(octet) > 255 || (octet.length > 1 && octet.startsWith('0')));
  if (bad !== undefined) return `${bad} is not an IPv4 octet (0-255, no leading zeros)`;
  const [valid] = Validator.isValidIPv4String(text);
  return valid ? undefined : 'expected an IPv4 address such as 10.0.0.1';
}

/** Parses an IPv4 address such as `10.96.0.10`. */
export function parseAddress(text: unknown): Parsed<IPv4> {
  if (typeof text !== 'string') return { ok: false, error: `expected an IPv4 address string, got ${typeof text}` };
  const problem = addressProblem(text);
  if (problem) return { ok: false, error: `invalid IPv4 address ${show(text)}: ${problem}` };
  return { ok: true, value: IPv4.fromDecimalDottedString(text) };
}

/** Splits `a.b.c.d/n` and checks both halves; the address part may have host bits set. */
function parsePrefixed(text: unknown, what: string): Parsed<{ address: IPv4; prefix: number }> {
  if (typeof text !== 'string') return { ok: false, error: `expected a ${what} string, got ${typeof text}` };
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!match) return { ok: false, error: `invalid ${what} ${show(text)}: expected address/prefix such as 10.0.0.0/16` };
  const problem = addressProblem(match[1]);
  if (problem) return { ok: false, error: `invalid ${what} ${show(text)}: ${problem}` };
  // iproute2 reads "024" as octal (a /20): only the canonical spelling is accepted.
  if (match[2].length > 1 && match[2].startsWith('0'))
    return { ok: false, error: `invalid ${what} ${show(text)}: prefix length ${match[2]} has a leading zero` };
  const prefix = Number(match[2]);
  if (prefix > 32)
    return { ok: false, error: `invalid ${what} ${show(text)}: prefix length ${prefix} is out of range 0-32` };
  return { ok: true, value: { address: IPv4.fromDecimalDottedString(match[1]), prefix } };
}

/**
 * Parses a network in CIDR notation. Host bits must be zero: `10.0.0.5/8` is rejected with the network that was
 * probably meant (`10.0.0.0/8`), because Kubernetes and iptables would silently use that one instead.
 */
export function parseNetwork(text: unknown): Parsed<IPv4CidrRange> {
  const parsed = parsePrefixed(text, 'CIDR');
  if (!parsed.ok) return parsed;
  const range = IPv4CidrRange.fromCidr(`${parsed.value.address.toString()}/${parsed.value.prefix}`);
  const network = range.getFirst();
  if (!network.isEquals(parsed.value.address)) {
    const meant = `${network.toString()}/${parsed.value.prefix}`;
    return { ok: false, error: `invalid CIDR ${show(text)}: host bits are set; the network is ${meant}` };
  }
  return { ok: true, value: range };
}

/** An address on an interface, such as `192.168.1.11/24`: host bits are expected. */
export interface InterfaceAddress {
  readonly address: IPv4;
  readonly network: IPv4CidrRange;
  /** The text form, `192.168.1.11/24`. */
  readonly cidr: string;
}

/** Parses an interface address such as `192.168.1.11/24` (address plus the prefix of its network). */
export function parseInterfaceAddress(text: unknown): Parsed<InterfaceAddress> {
  const parsed = parsePrefixed(text, 'interface address');
  if (!parsed.ok) return parsed;
  const { address, prefix } = parsed.value;
  const network = IPv4CidrRange.fromCidr(`${address.toString()}/${prefix}`);
  const aligned = IPv4CidrRange.fromCidr(`${network.getFirst().toString()}/${prefix}`);
  return { ok: true, value: { address, network: aligned, cidr: `${address.toString()}/${prefix}` } };
}

/**
 * The first and last address of `range`, as integers. From its address and prefix length: ip-num's getFirst() and
 * getLast() go through binary strings on every call, which made checking 5 000 cluster IPs ~5 % of a synth.
 */
export function rangeBounds(range: IPv4CidrRange): readonly [bigint, bigint] {
  const [address, prefix] = range.toCidrString().split('/');
  const value = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const hostBits = 32n - BigInt(prefix);
  const first = (BigInt(value) >> hostBits) << hostBits;
  return [first, first + (1n << hostBits) - 1n];
}

/** True when `address` lies inside `range`. */
export function rangeContains(range: IPv4CidrRange, address: IPv4): boolean {
  const [first, last] = rangeBounds(range);
  const value = address.getValue();
  return first <= value && value <= last;
}

/** True when the two ranges share at least one address. */
export function rangesOverlap(a: IPv4CidrRange, b: IPv4CidrRange): boolean {
  return a.isOverlapping(b);
}

/** The n-th address of a range, counting the network address as 0: `nthAddress(10.96.0.0/12, 10)` is 10.96.0.10. */
export function nthAddress(range: IPv4CidrRange, n: number): IPv4 {
  const [first, last] = rangeBounds(range);
  if (first + BigInt(n) > last) throw new RangeError(`${range.toCidrString()} has no address number ${n}`);
  return IPv4.fromNumber(first + BigInt(n));
}

/** The CIDR string of a range, `10.96.0.0/12`. */
export function cidrText(range: IPv4CidrRange): string {
  return range.toCidrString();
}

// ---------------------------------------------------------------------------------------------------------------
// IPv4 or IPv6 (CNI host-local ranges may be dual-stack). The network layout itself stays IPv4.

/** An address of either family. */
export type IpAddress = { family: 4; value: IPv4 } | { family: 6; value: IPv6 };
/** A network of either family. */
export type IpNetwork = { family: 4; value: IPv4CidrRange } | { family: 6; value: IPv6CidrRange };

const IPV6_SHAPE = /^[0-9A-Fa-f:]+$/;
const MAPPED = 'IPv4-mapped or embedded forms such as ::ffff:10.0.0.1 are not accepted: write the IPv4 address itself';

/** Parses an IPv4 (`10.1.0.1`) or IPv6 (`3ffe:ffff:0:01ff::10`) address. */
export function parseIpAddress(text: unknown): Parsed<IpAddress> {
  if (typeof text === 'string' && text.includes(':')) {
    if (text.includes('.')) return { ok: false, error: `invalid IPv6 address ${show(text)}: ${MAPPED}` };
    if (!IPV6_SHAPE.test(text) || !Validator.isValidIPv6String(text)[0]) {
      return { ok: false, error: `invalid IPv6 address ${show(text)}` };
    }
    return { ok: true, value: { family: 6, value: IPv6.fromString(text) } };
  }
  const v4 = parseAddress(text);
  return v4.ok ? { ok: true, value: { family: 4, value: v4.value } } : v4;
}

/**
 * Parses an IPv4 or IPv6 network in CIDR notation. With `allowHostBits` the address part may have host bits
 * set (as Go's net.ParseCIDR allows, e.g. a route destination `3ffe:ffff:0:01ff::1/64`); otherwise they must be zero.
 */
export function parseIpNetwork(text: unknown, allowHostBits = false): Parsed<IpNetwork> {
  if (typeof text === 'string' && text.includes(':')) {
    if (text.includes('.')) return { ok: false, error: `invalid IPv6 CIDR ${show(text)}: ${MAPPED}` };
    const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
    if (match && match[2].length > 1 && match[2].startsWith('0')) {
      return { ok: false, error: `invalid IPv6 CIDR ${show(text)}: prefix length ${match[2]} has a leading zero` };
    }
    if (!match || !IPV6_SHAPE.test(match[1]) || !Validator.isValidIPv6String(match[1])[0]) {
      return { ok: false, error: `invalid IPv6 CIDR ${show(text)}: expected address/prefix such as fd00:10::/64` };
    }
    if (Number(match[2]) > 128) {
      return { ok: false, error: `invalid IPv6 CIDR ${show(text)}: prefix length ${match[2]} is out of range 0-128` };
    }
    const range = IPv6CidrRange.fromCidr(text);
    if (!allowHostBits && !range.getFirst().isEquals(IPv6.fromString(match[1]))) {
      return {
        ok: false,
        error: `invalid IPv6 CIDR ${show(text)}: host bits are set; the network is ${ipNetworkText({ family: 6, value: range })}`,
      };
    }
    return {
      ok: true,
      value: { family: 6, value: IPv6CidrRange.fromCidr(`${range.getFirst().toString()}/${match[2]}`) },
    };
  }
  if (allowHostBits) {
    const parsed = parseInterfaceAddress(text);
    if (!parsed.ok) return { ok: false, error: parsed.error.replace('interface address', 'CIDR') };
    return { ok: true, value: { family: 4, value: parsed.value.network } };
  }
  const v4 = parseNetwork(text);
  return v4.ok ? { ok: true, value: { family: 4, value: v4.value } } : v4;
}

/** True when `address` is of the same family as `network` and lies inside it. */
export function ipNetworkContains(network: IpNetwork, address: IpAddress): boolean {
  if (network.family === 4 && address.family === 4) return rangeContains(network.value, address.value);
  if (network.family === 6 && address.family === 6) {
    return (
      network.value.getFirst().isLessThanOrEquals(address.value) &&
      address.value.isLessThanOrEquals(network.value.getLast())
    );
  }
  return false;
}

/** True when `a` is not after `b` (same family assumed). */
export function ipAddressNotAfter(a: IpAddress, b: IpAddress): boolean {
  if (a.family === 4 && b.family === 4) return a.value.isLessThanOrEquals(b.value);
  if (a.family === 6 && b.family === 6) return a.value.isLessThanOrEquals(b.value);
  return false;
}

/** Prefix length of a network of either family. */
export function ipNetworkPrefix(network: IpNetwork): number {
  return Number(network.value.getPrefix().getValue());
}

/** True when two networks of the same family share an address (different families never do). */
export function ipNetworksOverlap(a: IpNetwork, b: IpNetwork): boolean {
  if (a.family === 4 && b.family === 4) return a.value.isOverlapping(b.value);
  if (a.family === 6 && b.family === 6) return a.value.isOverlapping(b.value);
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Numeric views, for loops over many ranges (route lookups, allocation): ip-num parses and prints, the loops
// compare plain integers.

/** An IPv4 network as the integers of its first and last address, and its prefix length. */
export interface NumericRange {
  readonly first: number;
  readonly last: number;
  readonly prefix: number;
}

export function numericRange(range: IPv4CidrRange): NumericRange {
  return {
    first: Number(range.getFirst().getValue()),
    last: Number(range.getLast().getValue()),
    prefix: Number(range.getPrefix().getValue()),
  };
}

/** The integer of an IPv4 address. */
export function addressNumber(address: IPv4): number {
  return Number(address.getValue());
}

/** The dotted text of an address integer. */
export function numberText(value: number): string {
  return IPv4.fromNumber(BigInt(value)).toString();
}

/** The CIDR text of a numeric range. */
export function numericCidr(range: NumericRange): string {
  return `${numberText(range.first)}/${range.prefix}`;
}

export function numericContains(range: NumericRange, address: number): boolean {
  return range.first <= address && address <= range.last;
}

export function numericOverlap(a: NumericRange, b: NumericRange): boolean {
  return a.first <= b.last && b.first <= a.last;
}

// ---------------------------------------------------------------------------------------------------------------
// CIDRs in Kubernetes objects (a NetworkPolicy ipBlock, a Service's load-balancer source ranges), read as the
// API server reads them: either family; host bits accepted (the network is used, with a warning). Stricter in one
// point, on purpose: IPv4 octets with leading zeros stay refused (upstream takes them only with its
// StrictIPCIDRValidation gate off, and iproute2 would read them as octal).

/** A CIDR of a Kubernetes object, with what the API server warns about. */
export interface ObjectCidr {
  readonly network: IpNetwork;
  /** The network in canonical text (`10.0.0.0/8`, `fd00:10::/64`): what the API server uses. */
  readonly networkText: string;
  /** The text had host bits set (`10.1.2.3/8`): accepted, the network is used, the API server warns. */
  readonly hostBitsSet: boolean;
}

/** Canonical text of a network of either family. */
export function ipNetworkText(network: IpNetwork): string {
  const prefix = ipNetworkPrefix(network);
  return network.family === 4
    ? `${network.value.getFirst().toString()}/${prefix}`
    : `${collapseIPv6Number(expandIPv6Number(network.value.getFirst().toString()))}/${prefix}`;
}

/** Parses a CIDR of a Kubernetes object (IPv4 or IPv6, a prefix length required, host bits allowed). */
export function parseObjectCidr(text: unknown): Parsed<ObjectCidr> {
  if (typeof text === 'string' && !text.includes('/')) {
    return { ok: false, error: `invalid CIDR ${show(text)}: expected address/prefix such as 10.0.0.0/16 or fd00::/64` };
  }
  const parsed = parseIpNetwork(text, true);
  if (!parsed.ok) return parsed;
  const address = parseIpAddress((text as string).slice(0, (text as string).indexOf('/')));
  const hostBitsSet = address.ok && address.value.value.getValue() !== parsed.value.value.getFirst().getValue();
  return { ok: true, value: { network: parsed.value, networkText: ipNetworkText(parsed.value), hostBitsSet } };
}

/** True when `inner` lies inside `outer` and is smaller than it (same family), as an ipBlock `except` must. */
export function isStrictIpSubnet(inner: IpNetwork, outer: IpNetwork): boolean {
  if (inner.family !== outer.family || ipNetworkPrefix(inner) <= ipNetworkPrefix(outer)) return false;
  const first: IpAddress =
    inner.family === 4 ? { family: 4, value: inner.value.getFirst() } : { family: 6, value: inner.value.getFirst() };
  return ipNetworkContains(outer, first);
}

// ---------------------------------------------------------------------------------------------------------------
// Dual-stack range lists: network.podCidr, network.serviceCidr and a LAN's cidr take one range, a list of one IPv4
// and one IPv6 range, or kubeadm's comma string (`10.244.0.0/16,fd00:10:244::/56`).

/** The ranges written in a field that takes one range, a list, or a comma string (no other parsing). */
export function rangeList(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? value.split(',') : [...value];
}

/** One range of a dual-stack list, parsed, with its canonical text (RFC 5952 for IPv6). */
export interface ListedRange {
  readonly network: IpNetwork;
  readonly family: 4 | 6;
  /** Canonical text: `10.244.0.0/16`, `fd00:10:244::/56`. */
  readonly text: string;
}

/**
 * Parses a range list as kubeadm and the API server read --pod-network-cidr / --service-cluster-ip-range: each a
 * network with host bits zero, at most two, never two of the same family. The first one's family is the primary.
 */
export function parseRangeList(ranges: readonly string[]): Parsed<ListedRange[]> {
  if (ranges.length === 0 || ranges.length > 2) {
    return {
      ok: false,
      error: `expected one range or one IPv4 and one IPv6 range, got ${ranges.length} (${show(ranges.join(','))})`,
    };
  }
  const parsed: ListedRange[] = [];
  for (const text of ranges) {
    if (text.includes('%')) {
      return { ok: false, error: `invalid IPv6 CIDR ${show(text)}: a zone id (%name) has no place in a range` };
    }
    const network = parseIpNetwork(text);
    if (!network.ok) return network;
    parsed.push({ network: network.value, family: network.value.family, text: ipNetworkText(network.value) });
  }
  if (parsed.length === 2 && parsed[0].family === parsed[1].family) {
    return {
      ok: false,
      error: `${show(ranges.join(','))} has two IPv${parsed[0].family} ranges: a dual-stack cluster takes one IPv4 and one IPv6 range`,
    };
  }
  return { ok: true, value: parsed };
}

/** The canonical (RFC 5952) text of an IPv6 address given as an integer. */
export function ipv6Text(value: bigint): string {
  return collapseIPv6Number(expandIPv6Number(IPv6.fromBigInt(value).toString())).toLowerCase();
}

// ---------------------------------------------------------------------------------------------------------------
// The node side (interfaces, bridges, namespaces, routes, hosts, resolv, NAT, ssh, verify, lab): either family, as
// the kernel takes it, stricter than Kubernetes objects in what makes no sense on a host: no zone id (but for a
// link-local nameserver), no IPv4-mapped or embedded form (write the IPv4 address), host bits zero in networks.
// Canonical text (RFC 5952 for IPv6) is what canonical.ts hands the host side.

/** An address with the prefix of its network (`192.168.1.11/24`, `fd00:1::11/64`), of either family. */
export interface IpInterfaceAddress {
  readonly family: 4 | 6;
  readonly address: IpAddress;
  /** The network it is on (host bits cleared). */
  readonly network: IpNetwork;
  /** Canonical address text: `192.168.1.11`, `fd00:1::11`. */
  readonly text: string;
  /** Canonical text with the prefix: `192.168.1.11/24`, `fd00:1::11/64`. */
  readonly cidr: string;
}

const ZONE = 'a zone id (%name) is accepted only on a link-local nameserver (resolv.nameservers)';
const MAPPED_HEX = 'an IPv4-mapped address (::ffff:0:0/96) is not accepted: write the IPv4 address itself';

/** Why an IPv6 address text is not one a node takes, or undefined. Only for text containing ':' or '%'. */
function nodeIpv6Problem(text: string): string | undefined {
  if (text.includes('%')) return ZONE;
  if (text.includes('.')) return MAPPED;
  if (!IPV6_SHAPE.test(text) || !Validator.isValidIPv6String(text)[0]) {
    return 'expected an IPv6 address such as fd00::1 (hexadecimal groups of at most four digits)';
  }
  if (IPv6.fromString(text).getValue() >> 32n === 0xffffn) return MAPPED_HEX;
  return undefined;
}

/** The canonical text of an address of either family (RFC 5952, lower case, for IPv6). */
export function ipAddressText(address: IpAddress): string {
  return address.family === 4 ? address.value.toString() : ipv6Text(address.value.getValue());
}

/** Parses an address of a node (an interface's gateway, a hosts entry, a nameserver...): IPv4 or IPv6. */
export function parseNodeAddress(text: unknown): Parsed<IpAddress> {
  if (typeof text === 'string' && (text.includes(':') || text.includes('%'))) {
    const problem = nodeIpv6Problem(text);
    if (problem) return { ok: false, error: `invalid IPv6 address ${show(text)}: ${problem}` };
    return { ok: true, value: { family: 6, value: IPv6.fromString(text) } };
  }
  const v4 = parseAddress(text);
  return v4.ok ? { ok: true, value: { family: 4, value: v4.value } } : v4;
}

/** Splits `address/prefix` of IPv6 text and checks both halves (the address may have host bits set). */
function parseIpv6Prefixed(text: string, what: string): Parsed<{ address: IPv6; prefix: number }> {
  const slash = text.indexOf('/');
  const problem = nodeIpv6Problem(slash < 0 ? text : text.slice(0, slash));
  if (problem) return { ok: false, error: `invalid ${what} ${show(text)}: ${problem}` };
  const digits = slash < 0 ? '' : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(digits)) {
    return { ok: false, error: `invalid ${what} ${show(text)}: expected address/prefix such as fd00:1::/64` };
  }
  if (digits.length > 1 && digits.startsWith('0'))
    return { ok: false, error: `invalid ${what} ${show(text)}: prefix length ${digits} has a leading zero` };
  if (Number(digits) > 128)
    return { ok: false, error: `invalid ${what} ${show(text)}: prefix length ${digits} is out of range 0-128` };
  return { ok: true, value: { address: IPv6.fromString(text.slice(0, slash)), prefix: Number(digits) } };
}

/** The IPv6 network of `prefix` that holds `address`. */
function ipv6NetworkOf(address: IPv6, prefix: number): IPv6CidrRange {
  const hostBits = BigInt(128 - prefix);
  const first = (address.getValue() >> hostBits) << hostBits;
  return IPv6CidrRange.fromCidr(`${ipv6Text(first)}/${prefix}`);
}

/** Parses a network of a node (a route's destination, a masquerade source, a pod subnet): host bits zero. */
export function parseNodeNetwork(text: unknown): Parsed<IpNetwork> {
  if (typeof text === 'string' && (text.includes(':') || text.includes('%'))) {
    const parsed = parseIpv6Prefixed(text, 'IPv6 CIDR');
    if (!parsed.ok) return parsed;
    const network = ipv6NetworkOf(parsed.value.address, parsed.value.prefix);
    if (!network.getFirst().isEquals(parsed.value.address)) {
      const meant = ipNetworkText({ family: 6, value: network });
      return { ok: false, error: `invalid IPv6 CIDR ${show(text)}: host bits are set; the network is ${meant}` };
    }
    return { ok: true, value: { family: 6, value: network } };
  }
  const v4 = parseNetwork(text);
  return v4.ok ? { ok: true, value: { family: 4, value: v4.value } } : v4;
}

/** Parses an address with its prefix (`192.168.1.11/24`, `fd00:1::11/64`): host bits expected. */
export function parseNodeInterfaceAddress(text: unknown): Parsed<IpInterfaceAddress> {
  if (typeof text === 'string' && (text.includes(':') || text.includes('%'))) {
    const parsed = parseIpv6Prefixed(text, 'interface address');
    if (!parsed.ok) return parsed;
    const { address, prefix } = parsed.value;
    const value: IpAddress = { family: 6, value: address };
    const addressText = ipAddressText(value);
    return {
      ok: true,
      value: {
        family: 6,
        address: value,
        network: { family: 6, value: ipv6NetworkOf(address, prefix) },
        text: addressText,
        cidr: `${addressText}/${prefix}`,
      },
    };
  }
  const v4 = parseInterfaceAddress(text);
  if (!v4.ok) return v4;
  return {
    ok: true,
    value: {
      family: 4,
      address: { family: 4, value: v4.value.address },
      network: { family: 4, value: v4.value.network },
      text: v4.value.address.toString(),
      cidr: v4.value.cidr,
    },
  };
}

/** A nameserver: an address, or a link-local IPv6 address with its zone id (`fe80::1%eth0`). */
export function parseNameserver(text: unknown): Parsed<{ address: IpAddress; zone?: string; text: string }> {
  if (typeof text === 'string' && text.includes('%')) {
    const [address, zone] = [text.slice(0, text.indexOf('%')), text.slice(text.indexOf('%') + 1)];
    const parsed = parseNodeAddress(address);
    if (!parsed.ok) return parsed;
    if (parsed.value.family !== 6 || parsed.value.value.getValue() >> 118n !== 0x3fan) {
      return {
        ok: false,
        error: `invalid nameserver ${show(text)}: a zone id (%${zone}) belongs only to a link-local IPv6 address (fe80::/10)`,
      };
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(zone)) {
      return {
        ok: false,
        error: `invalid nameserver ${show(text)}: zone id ${show(zone)} must be an interface name (1-15 characters from A-Z a-z 0-9 _ . -)`,
      };
    }
    return { ok: true, value: { address: parsed.value, zone, text: `${ipAddressText(parsed.value)}%${zone}` } };
  }
  const parsed = parseNodeAddress(text);
  return parsed.ok ? { ok: true, value: { address: parsed.value, text: ipAddressText(parsed.value) } } : parsed;
}

/**
 * Splits `ip:port` or `[ipv6]:port` (a DNAT target, a verify tcp target) into its host and port texts; undefined
 * when the text has neither form. An unbracketed IPv6 address with a port is ambiguous and not split.
 */
export function splitHostPort(text: string): { host: string; port: string; bracketed: boolean } | undefined {
  const bracketed = /^\[([^\]]*)\]:(\d{1,5})$/.exec(text);
  if (bracketed) return { host: bracketed[1], port: bracketed[2], bracketed: true };
  const plain = /^([^:[\]]+):(\d{1,5})$/.exec(text);
  return plain ? { host: plain[1], port: plain[2], bracketed: false } : undefined;
}

/** `ip:port` in canonical text: `10.0.0.3:80`, `[fd00::3]:80`. */
export function hostPortText(address: IpAddress, port: number): string {
  return address.family === 4 ? `${ipAddressText(address)}:${port}` : `[${ipAddressText(address)}]:${port}`;
}

/** The family of a network or address. */
export function familyName(family: 4 | 6): string {
  return `IPv${family}`;
}
