/**
 * Commit-confirm's node side, run for real by /bin/sh on this machine (the watchdog's directory in a temporary
 * directory, changes that only touch files there): the watchdog reverts when no confirm comes, and outlives the
 * shell that armed it; a confirm in time keeps the change and ends the watchdog; a probe that passed before and
 * fails after reverts at once; a failing step disarms the watchdog so nothing is reverted twice. Against real nodes
 * over SSH: lockout.lab.test.ts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  applyHooks,
  confirmScript,
  newApplyGuard,
  newConfirm,
  parseArmed,
  parseConfirmOutput,
  revertNowScript,
  statusScript,
} from '../../src/host/confirm';
import { buildFactScript, newMarker } from '../../src/host/fact-script';
import { buildApplyScript, parseApplyOutput } from '../../src/host/script';
import type { Change } from '../../src/host/types';
import { tempDirs } from '../support/temp';
import type { Probe } from '../../src/host/verify';

const tempDir = tempDirs();

function sh(script: string) {
  const r = spawnSync('sh', ['-c', 'eval "$(cat)"'], { input: script, encoding: 'utf8', timeout: 20000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A change writing `name` into the directory (revert: remove it); `fail` makes its apply fail after writing. */
function fileChange(dir: string, name: string, fail = false): Change {
  const file = path.join(dir, name);
  return {
    kind: 'file',
    target: name,
    before: 'absent',
    after: 'present',
    apply: [{ writeFile: file, content: 'x\n' }, ...(fail ? [{ argv: ['false'] }] : [])],
    revert: [
      { removeFile: file },
      { argv: ['sh', '-c', 'echo "$1" >> "$2"', 'sh', `revert ${name}`, path.join(dir, 'reverts')] },
    ],
  };
}

/**
 * A change whose first command takes 1.5 s (so the watchdog fires while it is in flight), then fails or writes
 * `name`; its revert removes `name` with a plain `rm`, which FAILS when the file is absent, as `ip route del` does.
 */
function slowChange(dir: string, name: string, succeeds: boolean, seconds = 1.5): Change {
  const file = path.join(dir, name);
  return {
    kind: 'file',
    target: name,
    before: 'absent',
    after: 'present',
    apply: [
      { argv: ['sh', '-c', `sleep ${seconds}; ${succeeds ? 'exit 0' : 'exit 1'}`] },
      { writeFile: file, content: 'x\n' },
    ],
    revert: [
      { argv: ['rm', file] },
      { argv: ['sh', '-c', 'echo "$1" >> "$2"', 'sh', `revert ${name}`, path.join(dir, 'reverts')] },
    ],
  };
}

function setup(
  timeoutMs: number,
  names: string[],
  options: {
    failLast?: boolean;
    probes?: Probe[];
    slow?: { index: number; succeeds: boolean; seconds?: number };
    /** An apply guard (no commit-confirm) whose apply deadline is timeoutMs. */
    guard?: boolean;
    /** This step's command kills the apply script's shell, as a session that goes away does. */
    killShellAt?: number;
  } = {},
) {
  const dir = tempDir('i9b-confirm-');
  const confirm = options.guard
    ? newApplyGuard(timeoutMs, path.join(dir, 'run'))
    : newConfirm(timeoutMs, 'detached', path.join(dir, 'run'));
  const changes = names.map((name, i) =>
    options.slow?.index === i
      ? slowChange(dir, name, options.slow.succeeds, options.slow.seconds)
      : options.killShellAt === i
        ? { ...fileChange(dir, name), apply: [{ argv: ['sh', '-c', 'kill -9 $PPID; sleep 1'] }] }
        : fileChange(dir, name, options.failLast === true && i === names.length - 1),
  );
  const marker = newMarker();
  const probes = options.probes ?? [];
  const hooks = applyHooks(confirm, changes, marker, probes);
  const apply = sh(buildApplyScript(changes, marker, buildFactScript([], marker), '', hooks));
  const reverts = () =>
    fs.existsSync(path.join(dir, 'reverts')) ? fs.readFileSync(path.join(dir, 'reverts'), 'utf8') : '';
  const exists = (name: string) => fs.existsSync(path.join(dir, name));
  return { dir, confirm, changes, marker, apply, reverts, exists, probes };
}

test('no confirm: the watchdog, detached from the shell that armed it, reverts every step at its deadline', async () => {
  const s = setup(1500, ['a', 'b']);
  expect(s.apply.code).toBe(0);
  expect(parseArmed(s.apply.stdout, s.marker)).toEqual({ armed: true });
  expect(parseApplyOutput(s.apply.stdout, s.marker)).toMatchObject({ applied: true, completed: 2 });
  // The arming shell has exited; the change is in place until the deadline.
  expect([s.exists('a'), s.exists('b')]).toEqual([true, true]);
  await sleep(2500);
  expect([s.exists('a'), s.exists('b')]).toEqual([false, false]);
  expect(s.reverts()).toBe('revert b\nrevert a\n');
  const status = parseConfirmOutput(sh(statusScript(s.confirm, s.marker)).stdout, s.marker);
  expect(status).toMatchObject({ state: 'reverted', log: ['reverted by watchdog', 'steps 2'] });
  // Reading a reverted state tidies the directory away.
  expect(fs.existsSync(s.confirm.dir)).toBe(false);
});

test('a confirm in time keeps the change and ends the watchdog; a late confirm finds it reverted', async () => {
  const s = setup(1500, ['a']);
  const confirmed = parseConfirmOutput(sh(confirmScript(s.confirm, s.marker, [], [])).stdout, s.marker);
  expect(confirmed.state).toBe('confirmed');
  await sleep(2000);
  expect(s.exists('a')).toBe(true);
  expect(s.reverts()).toBe('');
  expect(fs.existsSync(s.confirm.dir)).toBe(false);
  // No empty /run/netstrap is left behind (issue 25).
  expect(fs.existsSync(path.dirname(s.confirm.dir))).toBe(false);

  const late = setup(300, ['c']);
  await sleep(1200);
  expect(parseConfirmOutput(sh(confirmScript(late.confirm, late.marker, [], [])).stdout, late.marker).state).toBe(
    'reverted',
  );
  expect(late.exists('c')).toBe(false);
});

test('a probe that passed before and fails after: reverted at once by the confirm round trip', () => {
  const probe: Probe = { index: 0, spec: { from: 'n1', tcp: '127.0.0.1:1', expect: 'failure' } };
  const s = setup(20_000, ['a'], { probes: [probe] });
  const before = [
    { index: 0, from: 'n1', check: 'tcp 127.0.0.1:1', expect: 'failure' as const, status: 'passed' as const },
  ];
  // Now the probe is expected to succeed, and cannot: it "fails after".
  const after: Probe = { index: 0, spec: { ...probe.spec, expect: 'success' } };
  const out = sh(confirmScript(s.confirm, s.marker, before, [after])).stdout;
  expect(parseConfirmOutput(out, s.marker)).toMatchObject({
    state: 'reverted',
    probesFailed: true,
    log: ['reverted by the controller (a probe failed)', 'steps 1'],
  });
  expect(s.exists('a')).toBe(false);
});

test("a failing step disarms the watchdog and reverts once; a revert over the old connection also takes the watchdog's place", async () => {
  const s = setup(800, ['a', 'b'], { failLast: true });
  expect(parseApplyOutput(s.apply.stdout, s.marker)).toMatchObject({ failedStep: 2, reverted: true });
  await sleep(1500);
  expect(s.reverts()).toBe('revert b\nrevert a\n');
  expect(fs.existsSync(s.confirm.dir)).toBe(false);

  const t = setup(20_000, ['c']);
  expect(
    parseConfirmOutput(sh(revertNowScript(t.confirm, t.marker, 'no new connection')).stdout, t.marker),
  ).toMatchObject({ state: 'reverted', log: ['reverted by the controller (no new connection)', 'steps 1'] });
  expect(t.exists('c')).toBe(false);
});

test(
  "the watchdog fires while a step's first command is in flight and that command fails: that step, which did " +
    'nothing, is not reverted (no false revert-failed), the steps before it are',
  async () => {
    const s = setup(500, ['a', 'b'], { slow: { index: 1, succeeds: false } });
    const outcome = parseApplyOutput(s.apply.stdout, s.marker);
    expect(outcome).toMatchObject({ failedStep: 2, failedStepUndone: false });
    expect(s.apply.stdout).toContain(`${s.marker} watchdog-fired`);
    await sleep(500);
    const status = parseConfirmOutput(sh(statusScript(s.confirm, s.marker)).stdout, s.marker);
    expect(status).toMatchObject({ state: 'reverted', log: ['reverted by watchdog', 'steps 2'] });
    expect(s.reverts()).toBe('revert a\n');
    expect([s.exists('a'), s.exists('b')]).toEqual([false, false]);
    expect(fs.existsSync(s.confirm.dir)).toBe(false);
  },
);

test(
  'the watchdog fires while a command is in flight and that command succeeds: it waits for it and reverts its ' +
    'step too; no later command starts, nothing is left',
  async () => {
    const s = setup(500, ['a', 'b', 'c'], { slow: { index: 1, succeeds: true } });
    const outcome = parseApplyOutput(s.apply.stdout, s.marker);
    // The step's second command (writing b) never starts: the watchdog had fired.
    expect(outcome).toMatchObject({ failedStep: 2, applied: false });
    await sleep(500);
    const status = parseConfirmOutput(sh(statusScript(s.confirm, s.marker)).stdout, s.marker);
    // Step 2's revert runs in full (one of its commands ran), as the apply script's own revert of a half-done step does.
    expect(status.state).toBe('reverted');
    expect(status.log.slice(0, 2)).toEqual(['reverted by watchdog', 'steps 2']);
    expect(s.reverts()).toBe('revert b\nrevert a\n');
    expect([s.exists('a'), s.exists('b'), s.exists('c')]).toEqual([false, false, false]);
  },
);

/** Polls (100 ms apart, bounded) until `done` holds. */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 100) {
    if (done()) return true;
    await sleep(100);
  }
  return done();
}

describe('the apply guard (no commit-confirm): no step outlives its run unaccounted (issue 25)', () => {
  test('an apply that ends in time: the guard is gone with its directory, and /run/netstrap with it; nothing reverted', async () => {
    const s = setup(5000, ['a', 'b'], { guard: true });
    expect(parseApplyOutput(s.apply.stdout, s.marker)).toMatchObject({ applied: true, completed: 2 });
    expect(await until(() => !fs.existsSync(path.dirname(s.confirm.dir)), 2000)).toBe(true);
    await sleep(300);
    expect([s.exists('a'), s.exists('b'), s.reverts()]).toEqual([true, true, '']);
  });

  test('a step that outlives the apply deadline is stopped (killed, it never finishes) and every step is reverted', async () => {
    const started = Date.now();
    // Step b sleeps 6 s, then would write b; the deadline is 0.5 s: fired at ~0.6 s, killed 2 s later.
    const s = setup(500, ['a', 'b', 'c'], { guard: true, slow: { index: 1, succeeds: true, seconds: 6 } });
    expect(Date.now() - started).toBeLessThan(5000);
    const outcome = parseApplyOutput(s.apply.stdout, s.marker);
    expect(outcome).toMatchObject({ failedStep: 2, applied: false, watchdogFired: true });
    expect(await until(() => !fs.existsSync(path.dirname(s.confirm.dir)), 3000)).toBe(true);
    // The killed command counts as run: step b's revert runs too (its `rm b` fails: b was never written).
    expect(s.reverts()).toBe('revert b\nrevert a\n');
    await sleep(5000);
    expect([s.exists('a'), s.exists('b'), s.exists('c')]).toEqual([false, false, false]);
  }, 20000);

  test('the apply script dies mid-run (its session is gone): the guard reverts at once, not at the deadline', async () => {
    const started = Date.now();
    const s = setup(60_000, ['a', 'b', 'c'], { guard: true, killShellAt: 1 });
    expect(parseApplyOutput(s.apply.stdout, s.marker)).toMatchObject({ completed: 1, started: 2, applied: false });
    expect(await until(() => s.reverts() === 'revert b\nrevert a\n', 3000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect([s.exists('a'), s.exists('c')]).toEqual([false, false]);
    expect(await until(() => !fs.existsSync(path.dirname(s.confirm.dir)), 2000)).toBe(true);
  });
});
