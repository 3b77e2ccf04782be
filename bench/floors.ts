/**
 * The ssh2 transport floor (bench/ssh2-floor.ts), run as netstrap runs: a Node process started fresh, timed from
 * spawn to exit. Compiled to bench/out/ssh2-floor.js once (TypeScript's transpileModule), so that no TypeScript
 * loader is timed.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import type { LabState } from '../src/lab';
import { measure, Measured } from './measure';

const OUT = path.join(__dirname, 'out');
const SCRIPT = path.join(OUT, 'ssh2-floor.js');

function compile(): string {
  const source = fs.readFileSync(path.join(__dirname, 'ssh2-floor.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(SCRIPT, outputText);
  return SCRIPT;
}

let compiled: string | undefined;

/** One ssh2 connection per node running `true`, `concurrency` at once; wall time includes Node's start-up. */
export async function ssh2Floor(state: LabState, concurrency: number): Promise<Measured & { engineMs: number }> {
  compiled ??= compile();
  const run = await measure(
    [process.execPath, compiled, path.join(state.stateDir, 'state.json'), String(concurrency)],
    { cwd: path.join(__dirname, '..'), timeoutMs: 120000 },
  );
  if (run.status !== 0) throw new Error(`ssh2 floor exited ${run.status}: ${run.stderr.slice(-1000)}`);
  const result = JSON.parse(run.stdout.trim()) as { ok: number; engineMs: number };
  if (result.ok !== state.nodes.length)
    throw new Error(`ssh2 floor: ${result.ok} of ${state.nodes.length} nodes ran true`);
  return { ...run, engineMs: result.engineMs };
}
