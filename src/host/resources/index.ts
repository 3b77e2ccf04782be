/**
 * Every host resource kind, in the order their changes are applied (and reverted in reverse): each kind lives in
 * its own file next to this one and is appended to this list.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import type { ResourceKind } from '../types';
import { bridges } from './bridges';
import { cniFiles } from './cni';
import { hostsFile } from './hosts';
import { links } from './links';
import { namespaces } from './namespaces';
import { networkdDropIns } from './networkd';
import { nat, nat6 } from './nat';
import { bootPersistence, bootScript } from './persist';
import { resolvConf } from './resolv';
import { routes } from './routes';
import { sysctl } from './sysctl';

// Interfaces before what uses them (bridges before the veths enslaved to them, addresses before the routes via
// them); networkd's drop-ins once the addresses and routes they keep are live; sysctl after the interfaces its
// per-interface keys name; files last; boot persistence after everything.
const stateKinds: ResourceKind[] = [
  links,
  bridges,
  namespaces,
  routes,
  networkdDropIns,
  sysctl,
  nat,
  nat6,
  hostsFile,
  resolvConf,
  cniFiles,
];
export const resourceKinds: ResourceKind[] = [...stateKinds, bootPersistence(stateKinds)];

/** The /etc/netstrap/network.sh netstrap writes for `node` (undefined when it has no runtime state to rebuild). */
export function nodeBootScript(node: ClusterNode, cluster?: Cluster): string | undefined {
  return bootScript(node, stateKinds, cluster);
}
