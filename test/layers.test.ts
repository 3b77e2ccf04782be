/**
 * The layers point one way, and no module imports itself back through others:
 *   model (src/model) ← constructs/, src/host, src/lab (lab may also use host's transport) ← src/cli, the package
 *   entry (src/index.ts, src/app.ts, main.ts).
 * Read from the TypeScript import graph (static imports, `export … from`, require() and import() alike: a lazy
 * require still loads the module).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.join(__dirname, '..');

/**
 * Known violations, allowed for now so that CI stays green while they are being fixed; each names who fixes it.
 * An entry is `from -> to` (repository-relative files). Remove an entry when its fix lands: this test fails on an
 * entry that no longer matches any import, so none outlives its fix.
 */
const ALLOWED_FOR_NOW: ReadonlyArray<string> = [];

type Layer = 'model' | 'constructs' | 'host' | 'lab' | 'cli' | 'entry';

/** What each layer may import besides itself. */
const MAY_IMPORT: Record<Layer, ReadonlyArray<Layer>> = {
  model: [],
  constructs: ['model'],
  host: ['model'],
  lab: ['model', 'host'],
  cli: ['model', 'constructs', 'host', 'lab', 'entry'],
  entry: ['model', 'constructs', 'host', 'lab', 'cli'],
};

function layerOf(file: string): Layer {
  if (file === 'main.ts' || file === 'src/index.ts' || file === 'src/app.ts') return 'entry';
  const top = file.startsWith('constructs/') ? 'constructs' : file.split('/')[1];
  if (['model', 'constructs', 'host', 'lab', 'cli'].includes(top)) return top as Layer;
  throw new Error(`${file}: in no layer; add its folder to test/layers.test.ts`);
}

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sources(rel);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** The repository-relative file a relative specifier resolves to (x.ts or x/index.ts). */
function resolve(from: string, specifier: string): string {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) {
    if (candidate.endsWith('.ts') && fs.existsSync(path.join(root, candidate))) return candidate;
  }
  throw new Error(`${from}: cannot resolve ${specifier}`);
}

/** Every file's local imports. */
function importGraph(): Map<string, string[]> {
  const files = ['main.ts', ...sources('src'), ...sources('constructs')];
  return new Map(
    files.map((file) => {
      const info = ts.preProcessFile(fs.readFileSync(path.join(root, file), 'utf8'), true, true);
      const local = info.importedFiles.map((i) => i.fileName).filter((name) => name.startsWith('.'));
      return [file, [...new Set(local.map((name) => resolve(file, name)))]];
    }),
  );
}

const graph = importGraph();
const edges = [...graph].flatMap(([from, tos]) => tos.map((to) => `${from} -> ${to}`));
const allowed = new Set(ALLOWED_FOR_NOW);

test('each layer imports only the layers below it', () => {
  const wrong = edges.filter((edge) => {
    const [from, to] = edge.split(' -> ');
    const [a, b] = [layerOf(from), layerOf(to)];
    return a !== b && !MAY_IMPORT[a].includes(b) && !allowed.has(edge);
  });
  expect(wrong).toEqual([]);
});

test('no import cycle', () => {
  // Tarjan's strongly connected components over the graph without the allowed-for-now edges.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    for (const to of graph.get(file) ?? []) {
      if (allowed.has(`${file} -> ${to}`)) continue;
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (stack.includes(to)) {
        low.set(file, Math.min(low.get(file)!, index.get(to)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || graph.get(file)?.includes(file)) cycles.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  expect(cycles).toEqual([]);
});

test('every allowed-for-now exception still exists (remove the ones whose fix landed)', () => {
  expect(ALLOWED_FOR_NOW.filter((edge) => !edges.includes(edge))).toEqual([]);
});
