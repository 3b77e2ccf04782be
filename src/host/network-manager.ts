/**
 * Which network manager owns each interface netstrap touches (issue 22): read in the fact round trip from the
 * managers' own runtime state, never through their D-Bus APIs:
 * - systemd-networkd: its link state files, /run/systemd/netif/links/<ifindex> (ADMIN_STATE, NETWORK_FILE);
 * - netplan: networkd running from a file netplan generated (/run/systemd/network/10-netplan-<if>.network), and
 *   the YAML under /etc/netplan;
 * - NetworkManager: its device state files, /run/NetworkManager/devices/<ifindex> (`managed=true`);
 * - ifupdown: its state, /run/network/ifstate (`eth0=eth0`) or /run/network/ifstate.<if>.
 * A node's `networkManager` setting overrides what is detected (`none`: the old iproute2-only path).
 */
import { canonicalRouteDestination } from '../model/route-table';
import type { ClusterNode, NetworkManagerSetting } from '../model/schema';
import { type Fact, type FactReader, type FactSet, fact, outputLines } from './fact';
import { onSubnet } from './resources/addresses';

/** Who owns an interface. */
export type ManagerName = 'networkd' | 'netplan' | 'NetworkManager' | 'ifupdown' | 'none';

/** An interface netstrap touches and the manager that owns it. */
export interface InterfaceManager {
  readonly interface: string;
  readonly manager: ManagerName;
  /** networkd and netplan: the .network file networkd configures the link from. */
  readonly networkFile?: string;
}

/** A node's network managers, as plan, bootstrap --json and diagnose show them. */
export interface NodeNetworkManager {
  /** The manager of the node's first managed interface netstrap touches (none when no interface is managed). */
  readonly manager: ManagerName;
  /** detected on the node, or set by the cluster file's nodes[].networkManager. */
  readonly source: 'detected' | 'cluster file';
  readonly interfaces: ReadonlyArray<InterfaceManager>;
  /** netplan YAML files found under /etc/netplan. */
  readonly netplanFiles: ReadonlyArray<string>;
}

/** What the managers' runtime state says, per interface name. */
export interface ManagerFacts {
  readonly networkd: ReadonlyMap<string, { readonly adminState: string; readonly networkFile?: string }>;
  readonly networkManager: ReadonlySet<string>;
  readonly ifupdown: ReadonlySet<string>;
  readonly netplanFiles: ReadonlyArray<string>;
  /** The bytes of every `/etc/systemd/network/*.network.d/netstrap.conf` (netstrap's drop-ins), by path. */
  readonly dropIns: ReadonlyMap<string, string>;
}

/** The directory of networkd's configuration netstrap writes drop-ins under. */
export const NETWORKD_DIR = '/etc/systemd/network';
/** The name of netstrap's drop-in in a `<file>.network.d` directory. */
export const DROP_IN_NAME = 'netstrap.conf';

// One fork per source, not per link: a node has many links (namespaces' veths), and every fork costs.
const MANAGERS_SCRIPT = `echo '# ifindex'; grep -Hs . /sys/class/net/*/ifindex
echo '# networkd'; grep -Hs -e '^ADMIN_STATE=' -e '^NETWORK_FILE=' /run/systemd/netif/links/*
echo '# NetworkManager'; grep -Hs '^managed=' /run/NetworkManager/devices/*
echo '# ifupdown'; cat /run/network/ifstate /run/network/ifstate.* 2>/dev/null
echo '# netplan'; ls -1d /etc/netplan/*.yaml 2>/dev/null
echo '# drop-ins'; for f in ${NETWORKD_DIR}/*.network.d/${DROP_IN_NAME}; do [ -f "$f" ] && printf '%s ' "$f" && base64 -w0 < "$f" && echo; done
true`;

function parseManagers(output: string): ManagerFacts {
  const sections = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of outputLines(output)) {
    const header = /^# (\S+)$/.exec(line);
    if (header) {
      current = [];
      sections.set(header[1], current);
    } else current.push(line);
  }
  const lines = (name: string) => sections.get(name) ?? [];
  const names = new Map<string, string>();
  for (const line of lines('ifindex')) {
    const match = /^\/sys\/class\/net\/([^/]+)\/ifindex:(\d+)$/.exec(line);
    if (match) names.set(match[2], match[1]);
  }
  const networkd = new Map<string, { adminState: string; networkFile?: string }>();
  for (const line of lines('networkd')) {
    const match = /^\/run\/systemd\/netif\/links\/(\d+):(ADMIN_STATE|NETWORK_FILE)=(.*)$/.exec(line);
    const dev = match && names.get(match[1]);
    if (!match || !dev) continue;
    const known = networkd.get(dev) ?? { adminState: 'unknown' };
    networkd.set(
      dev,
      match[2] === 'ADMIN_STATE' ? { ...known, adminState: match[3] } : { ...known, networkFile: match[3] },
    );
  }
  const networkManager = new Set<string>();
  for (const line of lines('NetworkManager')) {
    const match = /^\/run\/NetworkManager\/devices\/(\d+):managed=(true|1)$/.exec(line);
    const dev = match && names.get(match[1]);
    if (dev) networkManager.add(dev);
  }
  const ifupdown = new Set(lines('ifupdown').map((line) => line.split('=')[0]));
  const dropIns = new Map<string, string>();
  for (const line of lines('drop-ins')) {
    const [path, data = ''] = line.split(' ');
    dropIns.set(path, Buffer.from(data, 'base64').toString('utf8'));
  }
  return { networkd, networkManager, ifupdown, netplanFiles: lines('netplan'), dropIns };
}

/** The managers' runtime state on the node (one section of the fact round trip). */
export const managerFact: Fact<ManagerFacts> = fact('network-managers', ['sh', '-c', MANAGERS_SCRIPT], parseManagers);

/** Reads the managers' state on every node (even one declaring nothing: reset must find its drop-ins). */
export const networkManagerReader: FactReader = {
  facts: () => [managerFact],
};

/** The link a route leaves through: its `dev`, or the declared interface whose network holds its gateway. */
export function routeLink(node: ClusterNode, route: ClusterNode['routes'][number]): string | undefined {
  if (route.dev) return route.dev;
  return node.interfaces.find((iface) => iface.addresses.some((address) => onSubnet(address, route.via)))?.name;
}

/** The interfaces netstrap touches on the node: those it declares, and those its routes leave through. */
export function touchedInterfaces(node: ClusterNode): string[] {
  const names = node.interfaces.map((iface) => iface.name);
  for (const route of node.routes) {
    const link = routeLink(node, route);
    if (link !== undefined && !names.includes(link)) names.push(link);
  }
  return names;
}

/** The detected owner of one interface. */
function detected(facts: ManagerFacts, dev: string): InterfaceManager {
  const networkd = facts.networkd.get(dev);
  if (networkd && networkd.adminState !== 'unmanaged' && networkd.networkFile) {
    const netplan = /\/10-netplan-[^/]*\.network$/.test(networkd.networkFile);
    return { interface: dev, manager: netplan ? 'netplan' : 'networkd', networkFile: networkd.networkFile };
  }
  if (facts.networkManager.has(dev)) return { interface: dev, manager: 'NetworkManager' };
  if (facts.ifupdown.has(dev)) return { interface: dev, manager: 'ifupdown' };
  return { interface: dev, manager: 'none' };
}

/** The owner of one interface under the node's setting: detected (auto), or what the cluster file says. */
function owner(facts: ManagerFacts, dev: string, setting: NetworkManagerSetting): InterfaceManager {
  const found = detected(facts, dev);
  if (setting === 'auto') return found;
  if (setting === 'none') return { interface: dev, manager: 'none' };
  // networkd or netplan set by hand: the .network file still comes from networkd's state (none: no drop-in).
  return { interface: dev, manager: setting, ...(found.networkFile ? { networkFile: found.networkFile } : {}) };
}

/** The node's network managers, from the facts and its networkManager setting. */
export function nodeNetworkManager(node: ClusterNode, facts: FactSet): NodeNetworkManager {
  const read = facts.get(managerFact);
  const setting = node.networkManager ?? 'auto';
  const interfaces = touchedInterfaces(node).map((dev) => owner(read, dev, setting));
  const managed = interfaces.find((i) => i.manager !== 'none');
  return {
    manager: setting !== 'auto' ? (setting === 'none' ? 'none' : setting) : (managed?.manager ?? 'none'),
    source: setting === 'auto' ? 'detected' : 'cluster file',
    interfaces,
    netplanFiles: read.netplanFiles,
  };
}

/** Whether networkd (directly or through netplan) manages the interface, with a file to put a drop-in next to. */
export function keptByNetworkd(i: InterfaceManager): i is InterfaceManager & { networkFile: string } {
  return (i.manager === 'networkd' || i.manager === 'netplan') && i.networkFile !== undefined;
}

/** `/etc/systemd/network/<file>.network.d/netstrap.conf` for a link networkd configures from `networkFile`. */
export function dropInPath(networkFile: string): string {
  return `${NETWORKD_DIR}/${networkFile.slice(networkFile.lastIndexOf('/') + 1)}.d/${DROP_IN_NAME}`;
}

/** What the manager of an interface does to netstrap's addresses and routes on it, and what netstrap does about it. */
export function managerNote(i: InterfaceManager): string {
  switch (i.manager) {
    case 'networkd':
    case 'netplan':
      return i.networkFile
        ? `${i.manager === 'netplan' ? 'netplan (systemd-networkd)' : 'systemd-networkd'} manages ${i.interface} ` +
            `(${i.networkFile}): netstrap writes its addresses and routes into ${dropInPath(i.networkFile)} so networkd keeps them`
        : `${i.manager} is set for ${i.interface} but networkd reports no .network file for it: netstrap sets its ` +
            'addresses and routes with iproute2 only, and the link going down and up loses its routes';
    case 'NetworkManager':
      return (
        `NetworkManager manages ${i.interface}: it removes routes and addresses it did not configure when it ` +
        're-activates the connection (nmcli connection up/reapply, a link going down and up); netstrap puts them back ' +
        `only at boot and on the next bootstrap. Add them to the connection (nmcli connection modify <conn> +ipv4.addresses … ` +
        `+ipv4.routes …) or mark ${i.interface} unmanaged`
      );
    case 'ifupdown':
      return (
        `ifupdown configures ${i.interface}: \`ifdown\`/\`ifup\` removes netstrap's routes on it; netstrap puts them back ` +
        `only at boot and on the next bootstrap. Add \`up ip route replace …\` lines to its stanza in /etc/network/interfaces`
      );
    default:
      return `no network manager owns ${i.interface}: netstrap sets its addresses and routes with iproute2 and rebuilds them at boot`;
  }
}

/** One line for plan: the node's manager and, per interface, what it means. */
export function describeManagers(nm: NodeNetworkManager): string {
  const owners = nm.interfaces.map((i) => `${i.interface}: ${i.manager}`).join(', ');
  return `network manager: ${nm.manager} (${nm.source}${owners ? `; ${owners}` : ''})`;
}

/** The route destination as a drop-in's [Route] Destination= spells it; `via` gives `default`'s family. */
export function dropInDestination(to: string, via = ''): string {
  const family = via.includes(':') ? 6 : 4;
  const dst = canonicalRouteDestination(to, family);
  if (dst === 'default') return family === 4 ? '0.0.0.0/0' : '::/0';
  return dst.includes('/') ? dst : `${dst}/${dst.includes(':') ? 128 : 32}`;
}
