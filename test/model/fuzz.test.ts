/**
 * Property-based fuzz test of hostile input (issue 10): mutated cluster files through `netstrap synth` in-process
 * (the function the CLI runs), a sample through the real CLI, and mutated construct props through the library.
 * Every case is accepted (and then synthesizes valid objects) or rejected cleanly; see test/support/fuzz.ts.
 * `npm run fuzz -- --runs N --seed S` runs more cases and prints the counts.
 */
import fc from 'fast-check';
import * as path from 'path';
import * as fs from 'fs';
import {
  checkManifests,
  checkRejection,
  clusterCaseArbitrary,
  count,
  describeClusterCase,
  MAX_OUTPUT_BYTES,
  newTally,
  propsCaseArbitrary,
  runClusterCase,
  runPropsCase,
  safeJson,
} from '../support/fuzz';
import { CONSTRUCT_TARGETS } from '../support/fuzz-targets';
import { netstrap } from '../support/lab';
import { tempDirs } from '../support/temp';

const SEED = 10;
jest.setTimeout(120000);

describe('fuzz: hostile input is accepted and valid, or rejected cleanly', () => {
  const tempDir = tempDirs();

  // 600 files + 1,000 props = 1,600 cases per CI run (about 30 s here); `npm run fuzz` runs more.
  test('600 mutated cluster files through `netstrap synth` in-process', async () => {
    const dir = tempDir('netstrap-fuzz-');
    const tally = newTally();
    // Load the modules once, so the first case's 2 s bound measures the case, not the imports.
    await runClusterCase(
      { seed: 'hosts/example.yaml', edits: [], trick: 'none', content: fs.readFileSync('hosts/example.yaml') },
      dir,
    );
    await fc.assert(
      fc.asyncProperty(clusterCaseArbitrary(), async (c) => {
        const outcome = await runClusterCase(c, dir);
        count(tally, outcome, () => describeClusterCase(c));
        if (outcome.kind === 'failed') throw new Error(`${outcome.why}\ncase: ${describeClusterCase(c)}`);
      }),
      { seed: SEED, numRuns: 600, endOnFailure: true },
    );
    expect(tally.failures).toEqual([]);
    // Both outcomes occur: the mutations are neither all fatal nor all harmless.
    expect(tally.accepted).toBeGreaterThan(50);
    expect(tally.rejected).toBeGreaterThan(200);
  });

  test('50 mutated cluster files through the real CLI (bin/netstrap synth)', () => {
    const dir = tempDir('netstrap-fuzz-cli-');
    const cases = fc.sample(clusterCaseArbitrary(), { seed: SEED + 1, numRuns: 50 });
    const outcomes = { accepted: 0, rejected: 0 };
    cases.forEach((c, i) => {
      const file = path.join(dir, `case-${i}.yaml`);
      const out = path.join(dir, `out-${i}`);
      fs.writeFileSync(file, c.content);
      const run = netstrap(['synth', file, '-o', out]);
      const why = `case: ${describeClusterCase(c)}\nstderr: ${run.stderr.slice(0, 2000)}`;
      if (run.status === 0) {
        expect({
          why,
          objects: checkManifests(path.join(out, fs.readdirSync(out).find((f) => f.endsWith('.k8s.yaml'))!)) > 0,
        }).toEqual({ why, objects: true });
        outcomes.accepted += 1;
      } else {
        expect({ why, status: run.status, problem: checkRejection(file, run.stderr), stdout: run.stdout }).toEqual({
          why,
          status: 2,
          problem: undefined,
          stdout: '',
        });
        expect(Buffer.byteLength(run.stderr)).toBeLessThan(MAX_OUTPUT_BYTES);
        outcomes.rejected += 1;
      }
    });
    expect(outcomes.accepted + outcomes.rejected).toBe(50);
  }, 300000); // a CLI process per case: about 0.5 s each on an idle machine, several times that on a busy one

  test('1,000 mutated construct props through the library', () => {
    const tally = newTally();
    fc.assert(
      fc.property(propsCaseArbitrary(CONSTRUCT_TARGETS), (c) => {
        const outcome = runPropsCase(CONSTRUCT_TARGETS, c);
        count(tally, outcome, () => `${CONSTRUCT_TARGETS[c.target].name} ${safeJson(c.edits)}`);
        if (outcome.kind === 'failed') throw new Error(outcome.why);
      }),
      { seed: SEED, numRuns: 1000, endOnFailure: true },
    );
    expect(tally.failures).toEqual([]);
    expect(tally.accepted).toBeGreaterThan(50);
    expect(tally.rejected).toBeGreaterThan(300);
  });
});
