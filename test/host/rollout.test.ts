/**
 * Staged rollout arithmetic (src/host/rollout.ts): --serial batches as Ansible's serial computes them (counts,
 * percentages of all the nodes floored with at least 1, lists whose last item repeats, cluster-file order), and
 * --max-fail as Ansible's max_fail_percentage (per batch, exceeded, a batch failing entirely always stops). The
 * CLI refuses bad values with exit 2, naming the option and the value, before reading the cluster file.
 */
import { runCaptured } from '../../src/cli/main';
import { batchSize, parseMaxFail, parseSerial, rolloutBatches, stopReason } from '../../src/host/rollout';
import { fixture } from '../support/lab';

const nodes = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);
const sizes = (serial: string | undefined, n: number) =>
  rolloutBatches(nodes(n), serial === undefined ? undefined : parseSerial(serial)).map((b) => b.length);

describe('--serial batches', () => {
  test('no --serial: every node in one batch (as before)', () => {
    expect(rolloutBatches(nodes(6))).toEqual([nodes(6)]);
    expect(sizes(undefined, 200)).toEqual([200]);
    expect(rolloutBatches([])).toEqual([]);
  });

  test('a count: batches of that many, the last one shorter; more than the nodes is one batch', () => {
    expect(sizes('2', 5)).toEqual([2, 2, 1]);
    expect(sizes('1', 3)).toEqual([1, 1, 1]);
    expect(sizes('10', 4)).toEqual([4]);
  });

  test('batches take the nodes in cluster-file order', () => {
    expect(rolloutBatches(nodes(5), parseSerial('1,2'))).toEqual([['n1'], ['n2', 'n3'], ['n4', 'n5']]);
  });

  test('a percentage is of ALL the nodes, floored, at least 1 (Ansible pct_to_int)', () => {
    expect(batchSize({ percent: 30 }, 10)).toBe(3);
    expect(batchSize({ percent: 33 }, 10)).toBe(3); // 3.3 → 3
    expect(batchSize({ percent: 50 }, 5)).toBe(2); // 2.5 → 2
    expect(batchSize({ percent: 99 }, 10)).toBe(9); // 9.9 → 9
    expect(batchSize({ percent: 10 }, 6)).toBe(1); // 0.6 → 0 → at least 1
    expect(batchSize({ percent: 1 }, 3)).toBe(1);
    expect(batchSize({ percent: 100 }, 7)).toBe(7);
    expect(sizes('30%', 10)).toEqual([3, 3, 3, 1]);
    expect(sizes('50%', 5)).toEqual([2, 2, 1]);
    // The percentage stays of the total as batches go, not of the nodes left.
    expect(sizes('40%', 10)).toEqual([4, 4, 2]);
  });

  test('a list: one size per batch, the last repeating until every node has a batch', () => {
    // The acceptance case: 6 nodes, 1 then 50% (3) → 3 batches.
    expect(sizes('1,50%', 6)).toEqual([1, 3, 2]);
    expect(sizes('1,10%,100%', 200)).toEqual([1, 20, 179]);
    expect(sizes('1,10%,100%', 5)).toEqual([1, 1, 3]);
    expect(sizes('1,2,3', 20)).toEqual([1, 2, 3, 3, 3, 3, 3, 2]);
    // Items the nodes run out before are not used.
    expect(sizes('5,1,1', 4)).toEqual([4]);
    expect(sizes(' 1 , 25% ', 8)).toEqual([1, 2, 2, 2, 1]);
  });

  test('parseSerial refuses what is no size, saying why', () => {
    for (const bad of ['0', '0%', '150%', '101%', 'abc', '-1', '1.5', '2.5%', '', '1,,2', '1,', '%', '1e3', '0x10']) {
      expect(() => parseSerial(bad)).toThrow(/is not a (node count|percentage)/);
    }
    expect(parseSerial('1,10%,100%')).toEqual([{ count: 1 }, { percent: 10 }, { percent: 100 }]);
  });
});

describe('--max-fail', () => {
  test('parses a count or a percentage, 0 allowed; refuses the rest', () => {
    expect(parseMaxFail('0')).toEqual({ count: 0 });
    expect(parseMaxFail('3')).toEqual({ count: 3 });
    expect(parseMaxFail('0%')).toEqual({ percent: 0 });
    expect(parseMaxFail('100%')).toEqual({ percent: 100 });
    for (const bad of ['-1', '101%', 'x', '', '1.5', '50%%', '-5%']) {
      expect(() => parseMaxFail(bad)).toThrow(/is not a (node count|percentage)/);
    }
  });

  test('a count: the rollout stops once more nodes of a batch failed than allowed', () => {
    expect(stopReason(0, 1, { count: 0 })).toBeUndefined();
    expect(stopReason(1, 1, { count: 0 })).toMatch(/1 of its 1 node\(s\) failed, more than --max-fail 0 allows/);
    expect(stopReason(1, 3, { count: 0 })).toMatch(/more than --max-fail 0/);
    expect(stopReason(1, 3, { count: 1 })).toBeUndefined();
    expect(stopReason(2, 3, { count: 1 })).toMatch(/2 of its 3 node\(s\) failed, more than --max-fail 1/);
  });

  test('a percentage of the batch must be exceeded, not reached (Ansible)', () => {
    expect(stopReason(3, 10, { percent: 30 })).toBeUndefined();
    expect(stopReason(4, 10, { percent: 30 })).toMatch(/more than --max-fail 30%/);
    expect(stopReason(1, 3, { percent: 33 })).toMatch(/more than --max-fail 33%/); // 33.3 % > 33 %
    expect(stopReason(1, 4, { percent: 25 })).toBeUndefined();
    expect(stopReason(1, 200, { percent: 0 })).toMatch(/more than --max-fail 0%/);
  });

  test('a batch failing entirely stops the rollout, whatever --max-fail says (also without it)', () => {
    expect(stopReason(2, 2, undefined)).toMatch(/every node of a batch failing stops a rollout/);
    expect(stopReason(2, 2, { percent: 100 })).toMatch(/every node of a batch failing/);
    expect(stopReason(1, 2, undefined)).toBeUndefined();
    expect(stopReason(0, 2, undefined)).toBeUndefined();
  });
});

describe('the CLI refuses bad --serial and --max-fail values (exit 2, naming the option and the value)', () => {
  const file = fixture('host-seed.yaml');
  test.each([
    [['bootstrap', '--serial', '0'], "'--serial <sizes>' argument '0'"],
    [['bootstrap', '--serial', '150%'], "'--serial <sizes>' argument '150%'"],
    [['bootstrap', '--serial', 'abc'], "'--serial <sizes>' argument 'abc'"],
    [['bootstrap', '--max-fail', '-1'], "'--max-fail <n|n%>' argument '-1'"],
    [['bootstrap', '--max-fail', '101%'], "'--max-fail <n|n%>' argument '101%'"],
    [['plan', '--serial', '0%'], "'--serial <sizes>' argument '0%'"],
  ])('%j', async ([command, ...args], message) => {
    const run = await runCaptured([command, file, ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(run.stdout).toBe('');
  });

  test('plan takes no --max-fail (it starts nothing)', async () => {
    const run = await runCaptured(['plan', file, '--max-fail', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--max-fail'");
  });
});
