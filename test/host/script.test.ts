/**
 * The apply script, run for real by /bin/sh on this machine with changes that only touch a temporary directory:
 * steps in order, a failing step reverts itself and every earlier step in reverse, and the outcome is read back
 * from the markers.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildFactScript, newMarker } from '../../src/host/fact-script';
import { buildApplyScript, commandsRun, parseApplyOutput, STEP_FAILED_EXIT } from '../../src/host/script';
import type { Change } from '../../src/host/types';

function sh(script: string) {
  // The same way the SSH transport runs a script: read it whole from stdin, then eval.
  const r = spawnSync('sh', ['-c', 'eval "$(cat)"'], { input: script, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-script-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A change that creates a file (revert: remove it) and logs both into `log`. */
function fileStep(name: string): Change {
  const file = path.join(dir, name);
  return {
    kind: 'test',
    target: name,
    before: 'absent',
    after: 'present',
    apply: [
      { writeFile: file, content: `${name}\n` },
      { argv: ['sh', '-c', 'echo "apply $1" >> "$2"', 'sh', name, path.join(dir, 'log')] },
    ],
    revert: [
      { removeFile: file },
      { argv: ['sh', '-c', 'echo "revert $1" >> "$2"', 'sh', name, path.join(dir, 'log')] },
    ],
  };
}

const failing: Change = {
  kind: 'test',
  target: 'broken',
  before: 'x',
  after: 'y',
  apply: [{ argv: ['sh', '-c', 'echo "apply broken" >> "$1"; echo "no such device" >&2; exit 1', 'sh', '/dev/null'] }],
  revert: [{ argv: ['true'] }],
};

test('all steps succeed: files written atomically, the fact script runs after the last step', () => {
  const marker = newMarker();
  const changes = [fileStep('a'), fileStep('b')];
  const facts = buildFactScript([{ name: 'list', argv: ['ls', dir] }], marker);
  const run = sh(buildApplyScript(changes, marker, facts));
  expect(run.code).toBe(0);
  const outcome = parseApplyOutput(run.stdout, marker);
  expect(outcome).toMatchObject({ applied: true, completed: 2, failedStep: undefined });
  expect(fs.readFileSync(path.join(dir, 'a'), 'utf8')).toBe('a\n');
  expect(fs.readdirSync(dir).filter((f) => f.includes('netstrap-tmp'))).toEqual([]);
  expect(run.stdout).toContain(`${marker} fact list\n`);
  expect(commandsRun(changes, outcome)).toHaveLength(4);
});

test('step 3 of 4 fails: steps 3, 2, 1 are reverted in that order, step 4 never runs, exit 3 names the step', () => {
  const marker = newMarker();
  const changes = [fileStep('a'), fileStep('b'), failing, fileStep('d')];
  const run = sh(buildApplyScript(changes, marker, buildFactScript([], marker)));
  expect(run.code).toBe(STEP_FAILED_EXIT);
  const outcome = parseApplyOutput(run.stdout, marker);
  expect(outcome).toMatchObject({ applied: false, completed: 2, failedStep: 3, reverted: true, revertFailures: [] });
  expect(outcome.failedOutput).toContain('no such device');
  expect(fs.readFileSync(path.join(dir, 'log'), 'utf8').trim().split('\n')).toEqual([
    'apply a',
    'apply b',
    'revert b',
    'revert a',
  ]);
  expect(fs.readdirSync(dir).sort()).toEqual(['log']);
  // The fact script is not run after a failure.
  expect(run.stdout).not.toContain(`${marker} facts-done`);
  expect(commandsRun(changes, outcome)).toEqual(expect.arrayContaining([expect.stringContaining('apply broken')]));
  expect(commandsRun(changes, outcome).some((c) => c.includes(' d '))).toBe(false);
});

test('a failing revert is reported and the other reverts still run', () => {
  const marker = newMarker();
  const badRevert: Change = { ...fileStep('a'), revert: [{ argv: ['false'] }] };
  const run = sh(buildApplyScript([badRevert, fileStep('b'), failing], marker, ''));
  const outcome = parseApplyOutput(run.stdout, marker);
  expect(outcome).toMatchObject({ failedStep: 3, reverted: true, revertFailures: [1] });
  expect(fs.existsSync(path.join(dir, 'b'))).toBe(false);
});

test('a command reading stdin cannot eat the rest of the script', () => {
  const marker = newMarker();
  const reader: Change = { ...fileStep('a'), apply: [{ argv: ['cat'] }, ...fileStep('a').apply] };
  const run = sh(buildApplyScript([reader, fileStep('b')], marker, ''));
  expect(parseApplyOutput(run.stdout, marker)).toMatchObject({ applied: true, completed: 2 });
  expect(fs.existsSync(path.join(dir, 'b'))).toBe(true);
});
