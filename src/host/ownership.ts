/**
 * The ownership record: /etc/netstrap/<cluster-name>.state.json on each node lists every object netstrap created or
 * changed for that cluster, with its state before netstrap first touched it (null: netstrap created it). It is what
 * makes removals removals: an owned object the cluster file no longer declares is removed (or, when netstrap adopted
 * it, restored), and an object that is neither declared nor owned is never touched. One record per cluster, so two
 * cluster files sharing a node (a router) never prune each other's objects.
 *
 * - Read in the fact round trip (one more file section), never in a round trip of its own.
 * - Written by the apply script, as its last step, atomically (temporary file + rename, see shell.ts), and only when
 *   its content changes; removed when nothing is owned any more (after `reset`).
 * - Objects are sorted by kind and id, so the same ownership gives the same bytes whatever the history.
 * - The apply script holds a lock (`flock` on RUN_LOCK) and refuses to start when another run applied on the node
 *   since this run read its facts (RUN_SERIAL changed): two runs never interleave, and none applies a stale plan.
 */
import { createHash } from 'crypto';
import { z } from 'zod';
import { type Fact, type FactReader, type FactSet, fact } from './fact';
import { fileChange, fileFact, readFileFact } from './resources/file-facts';
import { quoteArg } from './shell';
import type { Change, OwnedObject } from './types';

export const RECORD_VERSION = 1;
export const RECORD_DIR = '/etc/netstrap';
/** The kind of the change that writes the record: bookkeeping, shown by plan as one line (plan-summary.ts). */
export const OWNERSHIP_KIND = 'ownership';
/** Lock file and run serial live on /run: they must not outlive a reboot, and are no part of the node's state. */
export const RUN_LOCK = '/run/lock/netstrap.lock';
export const RUN_SERIAL = '/run/lock/netstrap.serial';
/** How long an apply script waits for another run on the same node to finish. */
const LOCK_WAIT_SECONDS = 30;
/** Exit status of an apply script that found the node locked or changed since its facts were read. */
export const STALE_EXIT = 4;

export function recordPath(cluster: string): string {
  return `${RECORD_DIR}/${cluster}.state.json`;
}

export interface OwnershipRecord {
  readonly version: typeof RECORD_VERSION;
  readonly cluster: string;
  readonly objects: ReadonlyArray<OwnedObject>;
}

const recordSchema = z.object({
  version: z.literal(RECORD_VERSION),
  cluster: z.string(),
  objects: z.array(z.object({ kind: z.string(), id: z.string(), prior: z.unknown(), spec: z.unknown().optional() })),
});

/** The name of the run serial's fact: a saved plan whose serial moved was overtaken by another run (saved-plan.ts). */
export const RUN_SERIAL_FACT = 'netstrap-run-serial';

/** The serial of the last run that applied on the node ('' when none did since boot). */
const runSerial: Fact<string> = fact(
  RUN_SERIAL_FACT,
  // The shell's `read`, not a `cat` process: the serial is one line of hex.
  ['sh', '-c', '{ read -r s || [ -n "$s" ]; } < "$1" && printf "%s\\n" "$s"', 'sh', RUN_SERIAL],
  (output) => output.trim(),
);

/** The facts the engine reads on every node besides the kinds' own: the record and the run serial. */
export const ownershipFacts: FactReader = {
  facts: (_node, cluster) => [fileFact(recordPath(cluster.name)), runSerial],
};

/** The node's record for `cluster` (empty when there is none). A record netstrap cannot read stops the run. */
export function parseRecord(facts: FactSet, cluster: string): OwnershipRecord {
  const path = recordPath(cluster);
  const { content } = readFileFact(facts, path);
  if (content === undefined) return { version: RECORD_VERSION, cluster, objects: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (error) {
    throw new Error(`${path}: not JSON (${(error as Error).message}); netstrap cannot tell what it owns on this node`);
  }
  const result = recordSchema.safeParse(parsed);
  if (!result.success) {
    const version = (parsed as { version?: unknown })?.version;
    throw new Error(
      `${path}: not a netstrap ownership record of format version ${RECORD_VERSION}` +
        `${version !== undefined && version !== RECORD_VERSION ? ` (version ${JSON.stringify(version)})` : ''}`,
    );
  }
  return result.data as OwnershipRecord;
}

/** The objects of one kind in a record. */
export function ownedOf(record: OwnershipRecord, kind: string): OwnedObject[] {
  return record.objects.filter((object) => object.kind === kind);
}

const keyOf = (object: { kind: string; id: string }) => `${object.kind}\u0000${object.id}`;

/** The record's objects once `changes` are applied: released ones dropped, new ones added (known ones keep their prior). */
export function nextObjects(record: OwnershipRecord, changes: ReadonlyArray<Change>): OwnedObject[] {
  const objects = new Map(record.objects.map((object) => [keyOf(object), object]));
  for (const change of changes) {
    for (const released of change.releases ?? []) objects.delete(keyOf(released));
    for (const owned of change.owns ?? []) if (!objects.has(keyOf(owned))) objects.set(keyOf(owned), owned);
  }
  return [...objects.values()].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

export function renderRecord(cluster: string, objects: ReadonlyArray<OwnedObject>): string {
  return `${JSON.stringify({ version: RECORD_VERSION, cluster, objects }, null, 2)}\n`;
}

/**
 * The change that writes the record after `changes` (or removes it, with /etc/netstrap when empty, once nothing is
 * owned); undefined when the record stays as it is.
 */
export function recordChange(
  facts: FactSet,
  record: OwnershipRecord,
  changes: ReadonlyArray<Change>,
): Change | undefined {
  const path = recordPath(record.cluster);
  const objects = nextObjects(record, changes);
  const change = fileChange(
    OWNERSHIP_KIND,
    path,
    readFileFact(facts, path),
    objects.length > 0 ? renderRecord(record.cluster, objects) : undefined,
    '0600',
  );
  if (!change) return undefined;
  const described = {
    ...change,
    before: `${record.objects.length} owned object(s)`,
    after: `${objects.length} owned object(s)`,
  };
  if (objects.length > 0) return described;
  // `rmdir` of a directory that still holds something (the boot script, another cluster's record) just fails.
  return {
    ...described,
    apply: [...change.apply, { argv: ['sh', '-c', 'rmdir "$1" 2>/dev/null; true', 'sh', RECORD_DIR] }],
  };
}

/**
 * The apply script's first lines: take the node's lock (waiting a bounded time for another run), then check that no
 * run applied since this one read its facts, then mark this run. `marker` is the run's output marker.
 */
export function applyPrelude(facts: FactSet, marker: string): string {
  const serial = facts.get(runSerial);
  const next = createHash('sha256').update(`${serial}${marker}${Date.now()}`).digest('hex').slice(0, 16);
  return (
    [
      `{ [ -d /run/lock ] || mkdir -p /run/lock; } && exec 9>${quoteArg(RUN_LOCK)} && flock -w ${LOCK_WAIT_SECONDS} 9 ` +
        `|| { echo '${marker} stale locked'; exit ${STALE_EXIT}; }`,
      // Read by the shell itself (no process): an absent file reads as the empty serial.
      `netstrap_serial=; { read -r netstrap_serial < ${quoteArg(RUN_SERIAL)}; } 2>/dev/null`,
      `[ "$netstrap_serial" = ${quoteArg(serial)} ] || { echo '${marker} stale changed'; exit ${STALE_EXIT}; }`,
      `echo ${quoteArg(next)} > ${quoteArg(RUN_SERIAL)}`,
    ].join('\n') + '\n'
  );
}
