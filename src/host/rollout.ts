/**
 * Staged rollout (`bootstrap --serial`, `--max-fail`), as Ansible's `serial` and `max_fail_percentage`:
 * - `--serial 1,10%,100%`: batch sizes, each a count or a percentage of ALL the nodes worked on (floored, at least
 *   1, as Ansible's pct_to_int); the last value repeats until every node has a batch. Batches take the nodes in
 *   cluster-file order. No --serial: one batch of every node (as without staging).
 * - `--max-fail N|N%`: after a batch (its nodes and its connectivity checks), the rollout stops when more of that
 *   batch's nodes failed than N, or than N% of the batch's size (Ansible: the percentage applies to each batch and
 *   must be exceeded). As in Ansible, a batch in which every node failed stops the rollout whatever --max-fail says.
 * No imports: the CLI parses the options without loading the SSH modules.
 */

/** One item of --serial: a count of nodes, or a percentage (1..100) of all the nodes. */
export type SerialItem = { readonly count: number } | { readonly percent: number };

/** --max-fail: failed nodes a batch may have (a count, or a percentage of the batch's size) before the rollout stops. */
export type MaxFail = { readonly count: number } | { readonly percent: number };

const INTEGER = /^\d+$/;

/**
 * One count or percentage as typed, `least` the smallest of each; anything else (not digits, out of range) throws
 * an Error naming the value and what the option takes (`what`, for a count).
 */
function countOrPercent(typed: string, least: 0 | 1, what: string): SerialItem {
  const item = typed.trim();
  const percent = item.endsWith('%');
  const digits = percent ? item.slice(0, -1) : item;
  const n = INTEGER.test(digits) ? Number(digits) : Number.NaN;
  if (percent ? n >= least && n <= 100 : n >= least && Number.isSafeInteger(n))
    return percent ? { percent: n } : { count: n };
  const percentages = `a percentage from ${least}% to 100%`;
  throw new Error(`${JSON.stringify(item)} is not ${percent ? percentages : `${what} nor ${percentages}`}`);
}

/** `--serial` as typed: comma-separated counts (≥ 1) and percentages (1%..100%). Throws an Error saying why. */
export function parseSerial(value: string): SerialItem[] {
  return value.split(',').map((item) => countOrPercent(item, 1, 'a node count (1 or more)'));
}

/** `--max-fail` as typed: a count (≥ 0) or a percentage (0%..100%). Throws an Error saying why. */
export function parseMaxFail(value: string): MaxFail {
  return countOrPercent(value, 0, 'a node count (0 or more)');
}

/** The size one --serial item stands for among `total` nodes: Ansible's pct_to_int (floor, at least 1). */
export function batchSize(item: SerialItem, total: number): number {
  return 'count' in item ? item.count : Math.max(1, Math.floor((item.percent * total) / 100));
}

/** The nodes in batches, in their order; the last --serial item repeats. No serial: one batch of all. */
export function rolloutBatches<T>(nodes: ReadonlyArray<T>, serial?: ReadonlyArray<SerialItem>): T[][] {
  if (nodes.length === 0) return [];
  if (!serial || serial.length === 0) return [[...nodes]];
  const batches: T[][] = [];
  let next = 0;
  while (next < nodes.length) {
    const item = serial[Math.min(batches.length, serial.length - 1)];
    const size = batchSize(item, nodes.length);
    batches.push(nodes.slice(next, next + size));
    next += size;
  }
  return batches;
}

/** How the options are spelled back to the user (`1,50%`, `0`). */
export function describeSerial(serial: ReadonlyArray<SerialItem>): string {
  return serial.map((item) => ('count' in item ? String(item.count) : `${item.percent}%`)).join(',');
}

export function describeMaxFail(maxFail: MaxFail): string {
  return 'count' in maxFail ? String(maxFail.count) : `${maxFail.percent}%`;
}

/**
 * Why the rollout stops after a batch of `size` nodes of which `failed` failed (a node, or a check from it), or
 * undefined when it goes on.
 */
export function stopReason(failed: number, size: number, maxFail?: MaxFail): string | undefined {
  if (failed === 0) return undefined;
  const of = `${failed} of its ${size} node(s) failed`;
  if (maxFail !== undefined) {
    const over = 'count' in maxFail ? failed > maxFail.count : failed * 100 > maxFail.percent * size;
    if (over) return `${of}, more than --max-fail ${describeMaxFail(maxFail)} allows`;
  }
  if (failed >= size) return `${of} (every node of a batch failing stops a rollout, as in Ansible)`;
  return undefined;
}
