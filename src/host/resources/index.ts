/**
 * Every host resource kind, in the order their changes are applied (and reverted in reverse): each kind lives in
 * its own file next to this one and is appended to this list.
 */
import type { ResourceKind } from '../types';
import { bridges } from './bridges';
import { cniFiles } from './cni';
import { hostsFile } from './hosts';
import { links } from './links';
import { namespaces } from './namespaces';
import { nat } from './nat';
import { persist } from './persist';
import { podAddresses } from './pods';
import { resolvConf } from './resolv';
import { routes } from './routes';
import { sysctl } from './sysctl';

// Interfaces before what uses them (bridges before the veths enslaved to them, addresses before the routes via
// them); sysctl after the interfaces its per-interface keys name; files last; boot persistence after everything;
// pod addresses (read only, for verify checks) at the end.
export const resourceKinds: ResourceKind[] = [links, bridges, namespaces, routes, sysctl, nat, hostsFile, resolvConf, cniFiles, persist, podAddresses];
