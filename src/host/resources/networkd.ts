/**
 * networkd-drop-in: on each link systemd-networkd manages (netplan's included; see network-manager.ts), the node's
 * declared addresses of that link and the routes leaving through it go into networkd's own configuration, a drop-in
 * next to the link's .network file: /etc/systemd/network/<file>.network.d/netstrap.conf (for netplan's generated
 * /run/systemd/network/10-netplan-<if>.network, networkd reads drop-ins from /etc too). networkd then sets them
 * itself: they survive a networkd restart, the link going down and up (measured: a route added with iproute2 alone is
 * gone after that), and a reboot. The links and routes kinds still set them with iproute2, so they are live at once,
 * and `networkctl reload` makes networkd take the drop-in in (its failure only delays that to networkd's next start).
 * The drop-in is an owned file: pruned when nothing is left to keep, put back as it was (no file) by reset.
 */
import { canonicalRouteDestination } from '../../model/route-table';
import type { Cluster, ClusterNode } from '../../model/schema';
import type { FactSet } from '../fact';
import {
  dropInDestination,
  dropInPath,
  keptByNetworkd,
  managerFact,
  managerNote,
  nodeNetworkManager,
  routeLink,
} from '../network-manager';
import type { Change, Command, OwnedObject, ResourceKind } from '../types';
import { fileIds, ownedFileChanges } from './file-facts';

const KIND = 'networkd-drop-in';

/** Shell ($1 the drop-in) saying that networkd takes the drop-in in only at its next start. */
const RELOAD_FAILED = 'echo "netstrap: networkctl reload failed: systemd-networkd reads $1 when it next starts" >&2';

/** Makes networkd read its configuration again; without a running networkd (or D-Bus) it reads it at its next start. */
function reload(path: string): Command {
  return {
    argv: ['sh', '-c', `networkctl reload 2>/dev/null || ${RELOAD_FAILED}; true`, 'sh', path],
  };
}

/**
 * $1 the drop-in, $2 the link, then `addr:A` and `route:DST` for what it keeps. A reload that changes a link's
 * configuration makes networkd reconfigure it, dropping and setting its addresses and routes again, after the reload
 * returned: wait (5 s at most) until each route is networkd's (`proto static`; iproute2's are `proto boot`, and
 * networkd sets routes after addresses) and each address is there, so that the run's own verification reads the
 * node as networkd leaves it.
 */
const RELOAD_AND_WAIT =
  `networkctl reload 2>/dev/null || { ${RELOAD_FAILED}; exit 0; }; ` +
  'f=$1; dev=$2; shift 2; i=0; while [ $i -lt 50 ]; do ok=1; for a; do case $a in ' +
  'addr:*) ip -o addr show dev "$dev" to "${a#addr:}" | grep -q . || ok=0;; ' +
  'route:*) ip route show "${a#route:}" dev "$dev" proto static | grep -q . || ok=0;; esac; done; ' +
  '[ $ok = 1 ] && exit 0; sleep 0.1; i=$((i + 1)); done; ' +
  'echo "netstrap: systemd-networkd did not set everything $f keeps on $dev within 5 s" >&2; true';

function reloadAndWait(path: string, node: ClusterNode, dev: string): Command {
  const addresses = (node.interfaces.find((iface) => iface.name === dev)?.addresses ?? []).map(
    (address) => `addr:${address.split('/')[0]}`,
  );
  const routes = node.routes
    .filter((route) => routeLink(node, route) === dev)
    .map((route) => `route:${canonicalRouteDestination(route.to)}`);
  return { argv: ['sh', '-c', RELOAD_AND_WAIT, 'sh', path, dev, ...addresses, ...routes] };
}

/** Removes the drop-in directory once empty (netstrap made it); a directory holding other drop-ins stays. */
function removeEmptyDir(path: string): Command {
  return { argv: ['sh', '-c', 'rmdir "$1" 2>/dev/null; true', 'sh', path.slice(0, path.lastIndexOf('/'))] };
}

/**
 * The drop-in's text: the link's declared addresses, then each route leaving through it. (An address the link's own
 * .network file lists too is kept once: networkd drops the second setting with a warning.)
 */
export function dropInContent(node: ClusterNode, dev: string): string | undefined {
  const addresses = node.interfaces.find((iface) => iface.name === dev)?.addresses ?? [];
  const routes = node.routes.filter((route) => routeLink(node, route) === dev);
  if (addresses.length === 0 && routes.length === 0) return undefined;
  return [
    `# Written by netstrap for node ${node.name}: the addresses and routes it declares on ${dev}, kept by systemd-networkd.`,
    '# Edits are overwritten on the next bootstrap; `netstrap reset` removes this file.',
    ...(addresses.length > 0 ? ['[Network]', ...addresses.map((address) => `Address=${address}`)] : []),
    ...routes.flatMap((route) => [
      '',
      '[Route]',
      `Destination=${dropInDestination(route.to)}`,
      `Gateway=${route.via}`,
      // The gateway lies in the link's own subnet: without this, a route networkd sets as the link comes back up can
      // race the kernel's connected route and fail ("Nexthop has invalid gateway", the link then failed: measured).
      ...(onLink(node, dev, route.via) ? ['GatewayOnLink=yes'] : []),
      ...(route.metric !== undefined ? [`Metric=${route.metric}`] : []),
    ]),
    '',
  ].join('\n');
}

/** Whether `via` lies inside one of the subnets the node declares on `dev`. */
function onLink(node: ClusterNode, dev: string, via: string): boolean {
  return routeLink({ ...node, routes: [] }, { to: 'default', via }) === dev;
}

export const networkdDropIns: ResourceKind = {
  kind: KIND,
  ownedIds: fileIds,

  facts() {
    return [managerFact];
  },

  plan(node: ClusterNode, facts: FactSet, _cluster: Cluster, owned: ReadonlyArray<OwnedObject> = []): Change[] {
    const { dropIns } = facts.get(managerFact);
    const changes: Change[] = [];
    const wanted = new Set<string>();
    for (const link of nodeNetworkManager(node, facts).interfaces.filter(keptByNetworkd)) {
      const path = dropInPath(link.networkFile);
      const content = dropInContent(node, link.interface);
      if (content === undefined || wanted.has(path)) continue;
      wanted.add(path);
      const written = ownedFileChanges(KIND, path, { content: dropIns.get(path) }, content, owned);
      changes.push(...withReload(written, path, reloadAndWait(path, node, link.interface)));
    }
    for (const entry of owned) {
      const id = fileIds.read(entry.id);
      if (id?.part !== 'file' || wanted.has(id.path)) continue;
      const before = { content: dropIns.get(id.path) };
      changes.push(...withReload(ownedFileChanges(KIND, id.path, before, undefined, owned), id.path));
    }
    return changes;
  },

  warnings(node: ClusterNode, facts: FactSet): string[] {
    const nm = nodeNetworkManager(node, facts);
    return nm.interfaces
      .filter(
        (i) =>
          i.manager === 'NetworkManager' || i.manager === 'ifupdown' || (i.manager !== 'none' && !keptByNetworkd(i)),
      )
      .map((i) => `${node.name}: ${managerNote(i)}`);
  },
};

/** A drop-in change with networkd told about it (and, for a removal, its directory gone when netstrap left it empty). */
function withReload(changes: Change[], path: string, applied: Command = reload(path)): Change[] {
  return changes.map((change) => {
    const removal = (change.releases?.length ?? 0) > 0;
    if (change.apply.length === 0) return change;
    // A new drop-in's revert removes the file: its directory goes too when netstrap left it empty.
    const created = !removal && change.before === 'absent';
    return {
      ...change,
      apply: [...change.apply, ...(removal ? [removeEmptyDir(path)] : []), applied],
      revert:
        change.revert.length > 0
          ? [...change.revert, ...(created ? [removeEmptyDir(path)] : []), reload(path)]
          : change.revert,
    };
  });
}
