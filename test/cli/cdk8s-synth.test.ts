/**
 * The cdk8s conventions, through the real cdk8s CLI (cdk8s.yaml's app is main.ts): `cdk8s synth`, `-o DIR`,
 * `--stdout` and NETSTRAP_CLUSTER all work, and `netstrap synth` writes the same bytes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { $ } from 'zx/core';
import { netstrap, repoRoot } from '../support/lab';
import { tempDirs } from '../support/temp';

const tempDir = tempDirs();

/** Runs `cdk8s <args>` in the repository, as a user would (without its upgrade check, which needs the internet). */
async function cdk8s(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const r = await $({
    cwd: repoRoot,
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', ...env },
    timeout: 90000,
    nothrow: true,
    quiet: true,
  })`exec ${[path.join(repoRoot, 'node_modules', '.bin', 'cdk8s'), ...args]}`;
  return { status: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

/** What `netstrap synth <file> -o <dir>` writes, as { file name: content }. */
function netstrapSynth(file: string): Record<string, string> {
  const out = tempDir('netstrap-synth-');
  const run = netstrap(['synth', file, '-o', out]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return read(out);
}

function read(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).map((name) => [name, fs.readFileSync(path.join(dir, name), 'utf8')]));
}

let example: Record<string, string>;
beforeAll(() => {
  example = netstrapSynth('hosts/example.yaml');
});

test('`cdk8s synth` writes dist/<cluster>.k8s.yaml, the same bytes as `netstrap synth`', async () => {
  const file = path.join(repoRoot, 'dist', 'example.k8s.yaml');
  fs.rmSync(file, { force: true });
  const run = await cdk8s(['synth']);
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('dist/example.k8s.yaml');
  expect(fs.readFileSync(file, 'utf8')).toBe(example['example.k8s.yaml']);
});

test('`cdk8s synth -o DIR` writes into DIR (CDK8S_OUTDIR is honoured)', async () => {
  const out = path.join(tempDir('netstrap-cdk8s-'), 'manifests');
  const run = await cdk8s(['synth', '-o', out]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(read(out)).toEqual(example);
});

test('`cdk8s synth --stdout` prints the manifests and nothing else', async () => {
  const run = await cdk8s(['synth', '--stdout']);
  expect(run.status).toBe(0);
  expect(run.stdout).toBe(example['example.k8s.yaml']);
  // `netstrap synth --stdout` prints the same.
  expect(netstrap(['synth', 'hosts/example.yaml', '--stdout']).stdout).toBe(example['example.k8s.yaml']);
});

test('`NETSTRAP_CLUSTER=<file> cdk8s synth` synthesizes that cluster file', async () => {
  const file = path.join('test', 'fixtures', 'lab-lan.yaml');
  const out = tempDir('netstrap-cdk8s-');
  const run = await cdk8s(['synth', '-o', out], { NETSTRAP_CLUSTER: file });
  expect(run.status).toBe(0);
  const wanted = netstrapSynth(file);
  expect(Object.keys(wanted)).toEqual(['lablan.k8s.yaml']);
  expect(read(out)).toEqual(wanted);
});

test('`netstrap synth` honours CDK8S_OUTDIR too, and rejects --output with --stdout', () => {
  const out = tempDir('netstrap-synth-');
  const run = $.sync({ cwd: repoRoot, env: { ...process.env, CDK8S_OUTDIR: out }, nothrow: true, quiet: true })`exec ${[
    'timeout',
    '-s',
    'KILL',
    '60',
    path.join(repoRoot, 'bin', 'netstrap'),
    'synth',
    'hosts/example.yaml',
  ]}`;
  expect(run.exitCode).toBe(0);
  expect(read(out)).toEqual(example);
  const both = netstrap(['synth', 'hosts/example.yaml', '-o', out, '--stdout']);
  expect(both.status).toBe(2);
  expect(both.stderr).toContain("option '-o, --output <dir>' cannot be used with option '-p, --stdout'");
});
