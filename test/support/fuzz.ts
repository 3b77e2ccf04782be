/**
 * Hostile cluster files and construct props for the property-based fuzz test (test/model/fuzz.test.ts) and
 * `npm run fuzz`. A case is a real cluster file (hosts/example.yaml or a test fixture) or a construct's valid props,
 * with mutations a careless or hostile user makes: type swaps, deleted keys, hostile strings and addresses,
 * prototype keys, deep and aliased YAML, bytes that are not UTF-8.
 *
 * The oracle: a cluster file is either accepted, and then `netstrap synth` succeeds and every synthesized object
 * passes the Kubernetes OpenAPI schema, or rejected with exit 2 and only `file: path: message` lines, no stack trace,
 * under 16 KB and 2 s. Construct props either synthesize valid objects or throw an InputError.
 */
import { Chart, Testing } from 'cdk8s';
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { CORE_SCHEMA, dump, load, loadAll } from 'js-yaml';
import { runCaptured } from '../../src/cli/main';
import { InputError } from '../../src/model/errors';
import { Manifest, validateManifest } from './k8s';

export const repoRoot = path.join(__dirname, '..', '..');

/** The documents mutations start from: the example and every cluster-file fixture. */
export function seedFiles(): string[] {
  const fixtures = path.join(repoRoot, 'test', 'fixtures');
  return [
    path.join(repoRoot, 'hosts', 'example.yaml'),
    ...fs
      .readdirSync(fixtures)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => path.join(fixtures, f)),
  ];
}

type Json = unknown;
type Path = Array<string | number>;

/** Every path to a value inside `doc` (root excluded). */
function paths(doc: Json, at: Path = [], out: Path[] = []): Path[] {
  if (doc !== null && typeof doc === 'object') {
    for (const [key, value] of Object.entries(doc as object)) {
      const next = [...at, Array.isArray(doc) ? Number(key) : key];
      out.push(next);
      paths(value, next, out);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Hostile values

export const HOSTILE_STRINGS = [
  '',
  ' ',
  ' leading',
  'trailing ',
  'a\nb',
  'a\u0000b',
  'a\rb',
  'tab\there',
  '$(reboot)',
  '`id`',
  '; rm -rf /',
  '|| true',
  "it's",
  'say "hi"',
  '\\',
  '../../etc/passwd',
  '/dev/zero',
  '/proc/self/environ',
  '-rf',
  '--help',
  '*',
  '.',
  '..',
  'x'.repeat(300),
  'ünïcødé',
  '\u202egnp.exe',
  '\uFEFFbom',
  '${HOME}',
  '%s%n',
  'a b',
  'A_B',
  'UPPER',
  'a@b@c',
  '@',
  'root@',
  '@host',
  'a:b',
  'a/b/c',
  'a..b',
  '-a',
  'a-',
  'true',
  'null',
  '0x10',
  '1e3',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'https://[:::::]',
  'https://999.999.999.999:99999',
  'https://host:0',
  'dns://1.1.1.1:99999',
  'tls://',
  'registry.example.com/img:tag\nx',
  'img@sha256:zz',
];
export const HOSTILE_ADDRESSES = [
  '192.168.1.11/024',
  '192.168.1.11/24 ',
  '010.0.0.1',
  '10.0.0.01',
  '0.0.0.0',
  '255.255.255.255',
  '999.1.1.1',
  '1.2.3',
  '1.2.3.4.5',
  '10.0.0.0/33',
  '10.0.0.0/-1',
  '10.0.0.0/',
  '/24',
  '10.0.0.1/8',
  '10.96.0.0',
  '10.96.0.1',
  '10.111.255.255',
  '10.96.0.10',
  '::ffff:10.244.1.0/120',
  '::ffff:10.0.0.1',
  '::1',
  'fe80::1%eth0',
  '[::1]',
  '2001:db8::/129',
  '::',
  '10.244.0.0/16',
  '192.168.1.1',
  '192.168.1.255',
  '192.168.1.0',
  '127.0.0.53',
  '1.1.1.1:53',
  '10.10.0.3:80',
  '10.10.0.3:99999',
  'localhost',
  'node01',
  '192.168.1.11',
  '10.250.31.11',
  // IPv6 forms (issue 21): compressed, uppercase, zone ids, IPv4-mapped, leading zeros, /129, brackets.
  'fd00:1::11/64',
  'FD00:0:0::1/64',
  'fd00:0001:0000::1',
  'fd00:00001::1',
  'fd00::1/064',
  'fd00::/129',
  'fd00::1/64%eth0',
  'fe80::1%eth0/64',
  '::ffff:c0a8:10b',
  '::ffff:10.0.0.1/128',
  'fd00::1::2',
  ':::1',
  'fd00:1:2:3:4:5:6:7:8',
  'fd00:10:244::/56',
  '::/0',
  '[fd00::3]:80',
  '[fd00::3]:99999',
  'fd00::3:80',
  '[10.0.0.1]:80',
  'admin@[FD00::1]:22',
  'admin@[::ffff:10.0.0.1]:22',
];
export const HOSTILE_NUMBERS = [
  0,
  -1,
  1,
  1.5,
  22,
  80,
  443,
  6443,
  30008,
  32767,
  32768,
  65535,
  65536,
  99999,
  1e308,
  2 ** 53,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
  -0,
];
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

function protoObject(value: Json): Record<string, Json> {
  const out: Record<string, Json> = {};
  Object.defineProperty(out, '__proto__', { value, enumerable: true, writable: true, configurable: true });
  return out;
}

const hostileScalar: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.constantFrom(...HOSTILE_ADDRESSES),
  fc.constantFrom(...HOSTILE_NUMBERS),
  fc.constantFrom(true, false, null),
  fc.string({ maxLength: 12 }),
  fc.integer(),
);
const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 6, arbitrary: hostileScalar },
  { weight: 1, arbitrary: fc.constantFrom([], {}, [null], [[]], [{}], { a: 1 }) },
  { weight: 1, arbitrary: hostileScalar.map((v) => [v]) },
  { weight: 1, arbitrary: hostileScalar.map((v) => protoObject(v)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PROTOTYPE_KEYS), hostileScalar).map(([k, v]) => ({ [k]: v })) },
);

/** One edit of a parsed document: at the n-th path (modulo the number of paths). */
type Edit =
  | { op: 'delete'; n: number }
  | { op: 'replace'; n: number; value: Json }
  | { op: 'add'; n: number; key: string; value: Json }
  | { op: 'tweak'; n: number; how: 'zero-prefix' | 'suffix' | 'upper' | 'double' | 'number' | 'string' };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), n: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), n: fc.nat(), value: hostileValue }),
  fc.record({
    op: fc.constant('add' as const),
    n: fc.nat(),
    key: fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), fc.constantFrom('extra', 'Name', 'ports', 'x')),
    value: hostileValue,
  }),
  fc.record({
    op: fc.constant('tweak' as const),
    n: fc.nat(),
    how: fc.constantFrom('zero-prefix', 'suffix', 'upper', 'double', 'number', 'string'),
  }),
);

function apply(doc: Json, e: Edit): void {
  const all = paths(doc);
  if (all.length === 0) return;
  const at = all[e.n % all.length];
  const parent = at.slice(0, -1).reduce<any>((o, k) => o[k], doc);
  const key = at[at.length - 1];
  const current = parent[key];
  switch (e.op) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 'replace':
      setOwn(parent, key, e.value);
      break;
    case 'add': {
      const target = current !== null && typeof current === 'object' && !Array.isArray(current) ? current : parent;
      if (!Array.isArray(target)) setOwn(target, e.key, e.value);
      break;
    }
    case 'tweak':
      setOwn(parent, key, tweak(current, e.how));
      break;
  }
}

function setOwn(target: any, key: string | number, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function tweak(value: Json, how: string): Json {
  if (typeof value === 'number') return how === 'string' ? String(value) : how === 'double' ? value * 2 : -value;
  if (typeof value !== 'string') return value;
  switch (how) {
    case 'zero-prefix':
      return value.replace(/(^|[./:])(\d)/, '$10$2');
    case 'suffix':
      return `${value}\n`;
    case 'upper':
      return value.toUpperCase();
    case 'double':
      return `${value}${value}`;
    case 'number':
      return Number.isNaN(Number(value)) ? value.length : Number(value);
    default:
      return value;
  }
}

/** Ways to mangle the YAML text itself. */
type TextTrick =
  | 'none'
  | 'alias-bomb'
  | 'deep-flow'
  | 'deep-block'
  | 'self-alias'
  | 'bad-utf8'
  | 'duplicate-key'
  | 'tag'
  | 'inf-nan'
  | 'long-line'
  | 'many-documents'
  | 'merge-key'
  | 'crlf'
  | 'bom'
  | 'unknown-flood'
  | 'alias-ok';

const textTrick: fc.Arbitrary<TextTrick> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('none' as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<TextTrick>(
      'alias-bomb',
      'deep-flow',
      'deep-block',
      'self-alias',
      'bad-utf8',
      'duplicate-key',
      'tag',
      'inf-nan',
      'long-line',
      'many-documents',
      'merge-key',
      'crlf',
      'bom',
      'unknown-flood',
      'alias-ok',
    ),
  },
);

function trick(text: string, how: TextTrick, depth: number): string | Buffer {
  switch (how) {
    case 'none':
      return text;
    case 'alias-bomb': {
      let bomb = 'x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n';
      for (let i = 1; i < 9; i++) {
        const prev = String.fromCharCode(96 + i);
        const name = String.fromCharCode(97 + i);
        bomb += `x-${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]\n`;
      }
      return `${bomb}${text}`;
    }
    case 'deep-flow':
      return text.replace(/^(\S+):/m, `$1: ${'['.repeat(depth)}${']'.repeat(depth)}\nignored:`);
    case 'deep-block':
      return `${text}\nextra:\n${Array.from({ length: depth }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')} 1\n`;
    case 'self-alias':
      return text.replace(/^network:/m, 'network: &n\n  self: *n\nnetwork2:');
    case 'bad-utf8': {
      const bytes = Buffer.from(text, 'utf8');
      const at = Math.min(bytes.length - 1, depth * 7);
      return Buffer.concat([bytes.subarray(0, at), Buffer.from([0xc3, 0x28, 0xff]), bytes.subarray(at)]);
    }
    case 'duplicate-key':
      return text.replace(/^name: (.*)$/m, 'name: $1\nname: $1');
    case 'tag':
      return text.replace(/^name: (.*)$/m, 'name: !!binary aGVsbG8=');
    case 'inf-nan':
      return text.replace(/podCidr: \S+/, 'podCidr: .inf').replace(/serviceCidr: \S+/, 'serviceCidr: .nan');
    case 'long-line':
      return text.replace(/^name: (.*)$/m, `name: ${'n'.repeat(200000)}`);
    case 'many-documents':
      return `${text}\n---\n${text}`;
    case 'merge-key':
      return `base: &base { name: merged }\n${text.replace(/^name: (.*)$/m, '<<: *base')}`;
    case 'crlf':
      return text.replace(/\n/g, '\r\n');
    case 'bom':
      return `\uFEFF${text}`;
    case 'unknown-flood':
      return `${text}\n${Array.from({ length: 3000 }, (_, i) => `unknown${i}: ${i}`).join('\n')}\n`;
    case 'alias-ok':
      return text.replace(/^network:/m, 'network: &net').concat('\n');
  }
}

/** A hostile cluster file: the seed it came from, the edits and the trick, and the resulting bytes. */
export interface ClusterCase {
  readonly seed: string;
  readonly edits: ReadonlyArray<Edit>;
  readonly trick: TextTrick;
  readonly content: string | Buffer;
}

export function clusterCaseArbitrary(seeds: string[] = seedFiles()): fc.Arbitrary<ClusterCase> {
  const texts = seeds.map((file) => fs.readFileSync(file, 'utf8'));
  return fc
    .record({
      seed: fc.nat({ max: seeds.length - 1 }),
      edits: fc.array(edit, { minLength: 0, maxLength: 4 }),
      trick: textTrick,
      depth: fc.integer({ min: 1, max: 4000 }),
    })
    .map(({ seed, edits, trick: how, depth }) => {
      const doc = load(texts[seed], { schema: CORE_SCHEMA });
      for (const e of edits) apply(doc, e);
      const text = edits.length === 0 ? texts[seed] : dump(doc, { schema: CORE_SCHEMA, lineWidth: -1, noRefs: true });
      return { seed: path.relative(repoRoot, seeds[seed]), edits, trick: how, content: trick(text, how, depth) };
    });
}

// ---------------------------------------------------------------------------------------------------------------
// The oracle

export type Outcome =
  | { kind: 'accepted' | 'rejected'; ms: number; objects?: number }
  | { kind: 'failed'; ms: number; why: string };

export const MAX_OUTPUT_BYTES = 16 * 1024;
export const MAX_CASE_MS = 2000;
const STACK_LINE = /^\s+at .+\(.+:\d+:\d+\)$|^\s+at \S+:\d+:\d+$/m;

/** Checks what a rejected run printed: only `file: path: message` lines, small, no stack trace. */
export function checkRejection(file: string, output: string): string | undefined {
  if (Buffer.byteLength(output) >= MAX_OUTPUT_BYTES) return `output is ${Buffer.byteLength(output)} bytes`;
  if (STACK_LINE.test(output)) return `stack trace in output:\n${output.slice(0, 2000)}`;
  const lines = output.split('\n').filter((line) => line !== '');
  if (lines.length === 0) return 'rejected without a message';
  // `file: path: message`, or `file:LINE: path: message` when the path's line in the file is known.
  const rest = (line: string) => /^:\d+: /.exec(line.slice(file.length))?.[0].length ?? 2;
  const bad = lines.find(
    (line) =>
      !line.startsWith(file) ||
      !/^(:\d+)?: /.test(line.slice(file.length)) ||
      !/^\S.*?: .+$/.test(line.slice(file.length + rest(line))),
  );
  return bad === undefined ? undefined : `not a "file[:LINE]: path: message" line: ${bad.slice(0, 300)}`;
}

/** Validates every object of a synthesized manifest file; returns how many there are. */
export function checkManifests(file: string): number {
  const objects = loadAll(fs.readFileSync(file, 'utf8'), undefined, { schema: CORE_SCHEMA }).filter(
    (o) => o !== null,
  ) as Manifest[];
  objects.forEach(validateManifest);
  return objects.length;
}

/**
 * Runs one case through the same function the CLI runs (`netstrap synth FILE -o DIR`), in-process, and judges it.
 * `dir` is a scratch directory; the case's file and output go there.
 */
export async function runClusterCase(c: ClusterCase, dir: string): Promise<Outcome> {
  const file = path.join(dir, 'case.yaml');
  const out = path.join(dir, 'out');
  fs.rmSync(out, { recursive: true, force: true });
  fs.writeFileSync(file, c.content);
  const started = performance.now();
  let result: { code: number; stdout: string; stderr: string };
  const warnings = captureStderr();
  try {
    result = await runCaptured(['synth', file, '-o', out]);
  } catch (error) {
    return { kind: 'failed', ms: performance.now() - started, why: `threw: ${(error as Error).stack}` };
  } finally {
    warnings.restore();
  }
  const ms = performance.now() - started;
  const output = result.stdout + result.stderr;
  if (result.code === 0) {
    try {
      const manifest = fs.readdirSync(out).find((f) => f.endsWith('.k8s.yaml'));
      if (!manifest) return { kind: 'failed', ms, why: 'synth succeeded but wrote no manifest' };
      return { kind: 'accepted', ms, objects: checkManifests(path.join(out, manifest)) };
    } catch (error) {
      return {
        kind: 'failed',
        ms,
        why: `accepted, but the output is invalid: ${(error as Error).message.slice(0, 1000)}`,
      };
    }
  }
  if (result.code !== 2) return { kind: 'failed', ms, why: `exit ${result.code}:\n${output.slice(0, 3000)}` };
  const problem =
    checkRejection(file, result.stderr) ??
    (result.stdout === '' ? undefined : `stdout on rejection: ${result.stdout.slice(0, 200)}`);
  if (problem) return { kind: 'failed', ms, why: problem };
  if (ms > MAX_CASE_MS) return { kind: 'failed', ms, why: `took ${ms.toFixed(0)} ms` };
  return { kind: 'rejected', ms };
}

/** Warnings the chart prints on process.stderr (e.g. NetworkPolicies a CNI does not enforce): kept out of the log. */
function captureStderr(): { restore: () => void } {
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  return {
    restore: () => {
      process.stderr.write = original;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Construct props (the library API called from plain JavaScript: any type may arrive)

/** A construct, its valid props, and how to build it in a fresh chart. */
export interface ConstructTarget {
  readonly name: string;
  readonly props: Json;
  readonly build: (chart: Chart, props: any) => void;
}

export interface PropsCase {
  readonly target: number;
  readonly edits: ReadonlyArray<Edit>;
}

export function propsCaseArbitrary(targets: ReadonlyArray<ConstructTarget>): fc.Arbitrary<PropsCase> {
  return fc.record({
    target: fc.nat({ max: targets.length - 1 }),
    edits: fc.array(edit, { minLength: 1, maxLength: 3 }),
  });
}

/** Builds the construct with mutated props: valid objects, or an InputError naming a prop; anything else fails. */
export function runPropsCase(targets: ReadonlyArray<ConstructTarget>, c: PropsCase): Outcome {
  const target = targets[c.target];
  const props = structuredCloneWithProto(target.props);
  const root = { props };
  for (const e of c.edits) apply(root, e);
  const started = performance.now();
  const warnings = captureStderr();
  try {
    const chart = new Chart(Testing.app(), 'fuzz');
    target.build(chart, root.props);
    const objects = Testing.synth(chart) as Manifest[];
    objects.forEach(validateManifest);
    return { kind: 'accepted', ms: performance.now() - started, objects: objects.length };
  } catch (error) {
    const ms = performance.now() - started;
    if (error instanceof InputError) {
      const lines = error.lines();
      const text = lines.join('\n');
      if (text.length >= MAX_OUTPUT_BYTES) return { kind: 'failed', ms, why: `message is ${text.length} bytes` };
      if (lines.some((line) => !/^.+: \S.*?: .+$/.test(line)))
        return { kind: 'failed', ms, why: `not "source: path: message": ${text.slice(0, 300)}` };
      return { kind: 'rejected', ms };
    }
    // cdk8s reports failed node validations (Ingress backends checked once the tree exists) as one Error.
    const message = (error as Error).message ?? String(error);
    if (/^Validation failed with the following errors:/.test(message) && /\n {2}\[.*\] \S.*: .+/.test(message))
      return { kind: 'rejected', ms };
    return {
      kind: 'failed',
      ms,
      why: `${target.name}: ${(error as Error).stack ?? error}\nprops: ${safeJson(root.props)}`,
    };
  } finally {
    warnings.restore();
  }
}

function structuredCloneWithProto(value: Json): Json {
  if (Array.isArray(value)) return value.map(structuredCloneWithProto);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, Json> = {};
  for (const key of Object.keys(value))
    setOwn(out, key, structuredCloneWithProto((value as Record<string, Json>)[key]));
  return out;
}

export function safeJson(value: Json): string {
  try {
    return JSON.stringify(value)?.slice(0, 500) ?? String(value);
  } catch {
    return String(value);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Counting

export interface Tally {
  tried: number;
  accepted: number;
  rejected: number;
  failures: Array<{ why: string; input: string }>;
  slowest: { ms: number; input: string };
}

export function newTally(): Tally {
  return { tried: 0, accepted: 0, rejected: 0, failures: [], slowest: { ms: 0, input: '' } };
}

export function count(tally: Tally, outcome: Outcome, describe: () => string): void {
  tally.tried += 1;
  if (outcome.kind === 'failed') tally.failures.push({ why: outcome.why, input: describe() });
  else tally[outcome.kind] += 1;
  if (outcome.ms > tally.slowest.ms) tally.slowest = { ms: outcome.ms, input: describe() };
}

export function describeClusterCase(c: ClusterCase): string {
  return `${c.seed} trick=${c.trick} edits=${safeJson(c.edits)}`;
}
