/**
 * `npm run fuzz -- --runs N --seed S [--prop-runs M]`: runs N hostile cluster files (test/support/fuzz.ts) through
 * `netstrap synth` in-process and M (default N) mutated construct props through the library, and prints the counts:
 * tried, accepted, rejected, failed (crashes, bad messages, slow cases) and the slowest case.
 */
import fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  clusterCaseArbitrary,
  count,
  describeClusterCase,
  newTally,
  propsCaseArbitrary,
  runClusterCase,
  runPropsCase,
  safeJson,
  Tally,
} from '../test/support/fuzz';
import { CONSTRUCT_TARGETS } from '../test/support/fuzz-targets';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} needs a whole number`);
  return value;
}

function report(what: string, tally: Tally, seconds: number): void {
  console.log(
    `${what}: tried ${tally.tried}, accepted ${tally.accepted}, rejected ${tally.rejected}, failed ${tally.failures.length} ` +
      `in ${seconds.toFixed(1)} s; slowest ${tally.slowest.ms.toFixed(0)} ms (${tally.slowest.input.slice(0, 300)})`,
  );
  for (const failure of tally.failures.slice(0, 10))
    console.log(`  FAILED ${failure.input.slice(0, 300)}\n    ${failure.why.slice(0, 1500).replace(/\n/g, '\n    ')}`);
}

async function main(): Promise<void> {
  const runs = option('--runs', 1000);
  const seed = option('--seed', 10);
  const propRuns = option('--prop-runs', runs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-fuzz-'));
  try {
    const files = newTally();
    let started = performance.now();
    // fc.sample, not fc.assert: every case runs and every failure is counted instead of stopping at the first.
    for (const c of fc.sample(clusterCaseArbitrary(), { seed, numRuns: runs })) {
      count(files, await runClusterCase(c, dir), () => describeClusterCase(c));
      if (files.tried % 1000 === 0) process.stderr.write(`  ${files.tried} files, ${files.failures.length} failed\n`);
    }
    report(`cluster files (seed ${seed})`, files, (performance.now() - started) / 1000);
    const props = newTally();
    started = performance.now();
    for (const c of fc.sample(propsCaseArbitrary(CONSTRUCT_TARGETS), { seed, numRuns: propRuns })) {
      count(
        props,
        runPropsCase(CONSTRUCT_TARGETS, c),
        () => `${CONSTRUCT_TARGETS[c.target].name} ${safeJson(c.edits)}`,
      );
    }
    report(`construct props (seed ${seed})`, props, (performance.now() - started) / 1000);
    process.exitCode = files.failures.length + props.failures.length > 0 ? 1 : 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
