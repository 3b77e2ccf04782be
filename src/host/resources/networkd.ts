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
import { routeDestination, routeFamily } from './routes';

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
 * $1 the drop-ins (for messages), then triples `addr DEV ADDRESS`, `route DEV DST` or `route6 DEV DST`, for what every
 * drop-in keeps. A reload that changes a link's configuration makes networkd reconfigure it, dropping and setting
 * its addresses and routes again, after the reload returns: wait (5 s at most, for all links at once) until each
 * route is networkd's (`proto static`; iproute2's are `proto boot`, and networkd sets routes after addresses) and
 * each address is there, so that the run's own verification reads the node as networkd leaves it.
 */
const RELOAD_AND_WAIT =
  `networkctl reload 2>/dev/null || { ${RELOAD_FAILED}; exit 0; }; ` +
  'shift; i=0; while [ $i -lt 50 ]; do ok=1; set -- "$@"; n=$#; ' +
  'while [ $n -ge 3 ]; do k=$1; dev=$2; v=$3; shift 3; set -- "$@" "$k" "$dev" "$v"; n=$((n - 3)); case $k in ' +
  'addr) ip -o addr show dev "$dev" to "$v" | grep -q . || ok=0;; ' +
  'route) ip route show "$v" dev "$dev" proto static | grep -q . || ok=0;; ' +
  'route6) ip -6 route show "$v" dev "$dev" proto static | grep -q . || ok=0;; esac; done; ' +
  '[ $ok = 1 ] && exit 0; sleep 0.1; i=$((i + 1)); done; ' +
  'echo "netstrap: systemd-networkd did not set everything its drop-ins keep within 5 s" >&2; true';

/** What networkd must have set again on `dev` after the reload: its declared addresses and routes through it. */
function keptOn(node: ClusterNode, dev: string): string[] {
  const addresses = (node.interfaces.find((iface) => iface.name === dev)?.addresses ?? []).flatMap((address) => [
    'addr',
    dev,
    address.split('/')[0],
  ]);
  const routes = node.routes
    .filter((route) => routeLink(node, route) === dev)
    .flatMap((route) => [routeFamily(route) === 4 ? 'route' : 'route6', dev, routeDestination(route)]);
  return [...addresses, ...routes];
}

/** One reload of networkd for the whole plan, waiting until it set again what every kept link's drop-in holds. */
function reloadAndWait(paths: ReadonlyArray<string>, kept: ReadonlyArray<string>): Command {
  return { argv: ['sh', '-c', RELOAD_AND_WAIT, 'sh', paths.join(', '), ...kept] };
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
      `Destination=${dropInDestination(route.to, route.via)}`,
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
    const kept: string[] = [];
    for (const link of nodeNetworkManager(node, facts).interfaces.filter(keptByNetworkd)) {
      const path = dropInPath(link.networkFile);
      const content = dropInContent(node, link.interface);
      if (content === undefined || wanted.has(path)) continue;
      wanted.add(path);
      kept.push(...keptOn(node, link.interface));
      changes.push(
        ...withRevertReload(ownedFileChanges(KIND, path, { content: dropIns.get(path) }, content, owned), path),
      );
    }
    for (const entry of owned) {
      const id = fileIds.read(entry.id);
      if (id?.part !== 'file' || wanted.has(id.path)) continue;
      const before = { content: dropIns.get(id.path) };
      changes.push(...withRevertReload(ownedFileChanges(KIND, id.path, before, undefined, owned), id.path));
    }
    return reloadOnce(changes, [...wanted], kept);
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

const isRemoval = (change: Change) => (change.releases?.length ?? 0) > 0;

/**
 * A drop-in change's revert tells networkd (and, for a removal, its apply removes the directory when netstrap left it
 * empty); its apply does not reload: reloadOnce does, once for the plan.
 */
function withRevertReload(changes: Change[], path: string): Change[] {
  return changes.map((change) => {
    const removal = isRemoval(change);
    if (change.apply.length === 0) return change;
    // A new drop-in's revert removes the file: its directory goes too when netstrap left it empty.
    const created = !removal && change.before === 'absent';
    return {
      ...change,
      apply: [...change.apply, ...(removal ? [removeEmptyDir(path)] : [])],
      revert:
        change.revert.length > 0
          ? [...change.revert, ...(created ? [removeEmptyDir(path)] : []), reload(path)]
          : change.revert,
    };
  });
}

/**
 * networkd is reloaded once for the plan, by the drop-in change that runs last (the planner runs removals before
 * additions: the last addition, else the last removal), waiting once until every kept link is set again rather than
 * up to 5 s per drop-in. Safe: a reload reads every file, and a failed step's revert reloads for the drop-ins before.
 */
function reloadOnce(changes: Change[], paths: ReadonlyArray<string>, kept: ReadonlyArray<string>): Change[] {
  const applying = changes.filter((change) => change.apply.length > 0);
  const last = applying.filter((change) => !isRemoval(change)).at(-1) ?? applying.at(-1);
  if (!last) return changes;
  const command = kept.length > 0 ? reloadAndWait(paths, kept) : reload(last.target);
  return changes.map((change) => (change === last ? { ...change, apply: [...change.apply, command] } : change));
}
