/**
 * The host provisioner's data flow: facts (read from a node in one round trip) → a plan of Changes (per resource
 * kind: desired vs fact) → one apply script (every change's commands, with reverts) → verify (facts again: no
 * change may remain).
 */
import type { Cluster, ClusterNode } from '../model/schema';
import type { FactReader, FactSet } from './fact';
import type { OwnedIds } from './owned-ids';

/** A command to run on a host: an argv array (quoted by shell.ts), or a whole file to write atomically. */
export type Command =
  | { readonly argv: ReadonlyArray<string> }
  | { readonly writeFile: string; readonly content: string; readonly mode?: string }
  | { readonly removeFile: string };

/** One difference between what a host has and what the cluster file wants, with how to close and reopen it. */
export interface Change {
  /** Resource kind, e.g. `route`, `sysctl`, `iptables`. */
  readonly kind: string;
  /** What it is about, e.g. `192.168.2.0/24` or `net.ipv4.ip_forward`. */
  readonly target: string;
  /** Human-readable state before and after (`absent`, `0`, `via 192.168.1.1` …). */
  readonly before: string;
  readonly after: string;
  /** A unified diff, for file resources. */
  readonly diff?: string;
  /** Commands that make the change. */
  readonly apply: ReadonlyArray<Command>;
  /** Commands that put the host back as it was before `apply` (run in reverse order on failure). */
  readonly revert: ReadonlyArray<Command>;
  /**
   * Objects this change makes netstrap own, with their state before it (see ownership.ts). An object already in the
   * record keeps the prior state it was first recorded with.
   */
  readonly owns?: ReadonlyArray<OwnedObject>;
  /**
   * Owned objects this change gives back: removed (netstrap created them) or restored to their recorded prior state
   * (netstrap adopted them), because the cluster file no longer declares them. Dropped from the record. A change
   * with `releases` is a removal: `plan` shows it as `- kind target (no longer declared)`.
   */
  readonly releases?: ReadonlyArray<OwnedObject>;
  /**
   * A removal that runs after the additions, not before them: an address goes only once its replacement is up, so
   * that nothing that depends on the device having an address (routes via its LAN's gateway) goes missing.
   */
  readonly afterAdditions?: boolean;
}

/**
 * One object netstrap created or changed on a node, as its ownership record keeps it: the kind, an id unique within
 * the kind (`10.77.0.0/16 metric 0`, `eth0 address 10.0.0.5/24`, `file /etc/cni/net.d/10-x.conflist`), and its
 * state before netstrap first touched it: null when netstrap created it, otherwise the kind's own description of
 * the old value (an old route, a sysctl value, a file's bytes), which pruning and reset restore.
 */
export interface OwnedObject {
  readonly kind: string;
  readonly id: string;
  readonly prior: unknown;
  /** What netstrap made, when a removal's revert needs it to rebuild the object (a namespace's veth, say). */
  readonly spec?: unknown;
}

/** One idempotent boot-time command of /etc/netstrap/network.sh: `run`, skipped when `unless` succeeds. */
export interface BootStep {
  readonly unless?: ReadonlyArray<string>;
  readonly run: ReadonlyArray<string>;
  /**
   * The target (as its kind's changes name it, e.g. `10.66.0.0/16`, `br0 address 10.1.0.1/24`) of what this step
   * rebuilds: a pending change with the same kind and target means it is not live (see persist.ts, drift).
   */
  readonly target?: string;
}

/**
 * A difference between the live state of an object netstrap manages and what its boot mechanism
 * (/etc/netstrap/network.sh and its unit, /etc/sysctl.d) would rebuild: something a reboot would change. Kept as
 * data (kind and target as the object's changes name them, and a sentence) for plan, verify and diagnose reports.
 */
export interface Drift {
  readonly kind: string;
  readonly target: string;
  /** e.g. `route 10.66.0.0/16 is live but would not come back after reboot (not in /etc/netstrap/network.sh)`. */
  readonly message: string;
}

/**
 * What every resource kind provides. One file per kind under src/host/resources/. Its facts (FactReader.facts: each
 * a command and its parser, see fact.ts) are read in one round trip together with every other kind's.
 */
export interface ResourceKind extends FactReader {
  readonly kind: string;
  /** How the ownership record spells the ids of what this kind owns, and reads them back as its records (none: owns nothing). */
  readonly ownedIds?: OwnedIds<unknown>;
  /**
   * The changes that bring `node` from `facts` to the desired state; [] when it is there already. `owned` holds the
   * objects of this kind the node's ownership record lists: those no longer declared are removed or restored
   * (changes with `releases`); objects neither declared nor owned are never touched.
   */
  plan(node: ClusterNode, facts: FactSet, cluster: Cluster, owned?: ReadonlyArray<OwnedObject>): Change[];
  /**
   * Problems worth showing that are not changes, read from the same facts: a resolver that will crash CoreDNS,
   * CNI plugin binaries missing, a kernel module that cannot be loaded. Shown by `plan` and `bootstrap`.
   */
  warnings?(node: ClusterNode, facts: FactSet, cluster: Cluster): string[];
  /**
   * Live ≠ boot: objects whose live state differs from what the node's boot mechanism, as it is on disk, would
   * rebuild. `changes` is the node's whole plan from the same facts (a pending change means "not live as declared").
   */
  drift?(node: ClusterNode, facts: FactSet, cluster: Cluster, changes: ReadonlyArray<Change>): Drift[];
  /**
   * For runtime-only state (links, routes, NAT …): the idempotent commands that rebuild the node's desired state at
   * boot, gathered into one script by the boot-persistence kind. Kinds whose state is a file already omit it.
   */
  bootSteps?(node: ClusterNode, cluster?: Cluster): BootStep[];
}
