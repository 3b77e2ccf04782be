/**
 * CNI network configuration (CNI spec v1.x) as plain data: the shapes and the spec's constants. Plugin and IPAM
 * objects are kept as ordered plain objects: JSON key order is the order the user gave, so a rendered file matches
 * a hand-written or upstream one key for key. The typed factories are in constructs/cni-config.ts.
 */
import type { Cluster } from '../schema';

/** One plugin object of a network configuration: `type` plus the plugin's options, in the order given. */
export interface CniPluginObject {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** A network configuration list (`.conflist`): what libcni reads from /etc/cni/net.d. */
export interface CniNetworkList {
  readonly cniVersion: string;
  /** Versions this list also supports (spec 1.1.0); the runtime picks the highest it understands. */
  readonly cniVersions?: readonly string[];
  readonly name: string;
  readonly disableCheck?: boolean;
  readonly disableGC?: boolean;
  readonly plugins: readonly CniPluginObject[];
}

/** Spec versions a network configuration may declare. */
export const CNI_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
/** The version netstrap writes when none is given: understood by containerd, CRI-O and plugins v1.x. */
export const DEFAULT_CNI_VERSION = '1.0.0';

// The plugin types (interface, meta and IPAM plugins) and their options: ./plugins.ts.

/** The CNI spec's network name syntax. */
export const CNI_NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The cluster file's `cni.conflist` as a list (without netstrap's own `fileName`); the schema checked each `type`. */
export function conflistOf(conflist: NonNullable<Cluster['cni']['conflist']>): CniNetworkList {
  const { fileName: _fileName, ...list } = conflist;
  void _fileName;
  return list as unknown as CniNetworkList;
}
