// Jest global setup: the tests that run bin/netstrap run the compiled lib/, so lib/ is rebuilt first whenever a
// TypeScript source is newer than its compiled file (a targeted `npx jest …` after an edit never runs stale code;
// `npm test` has just built it, so this is then a no-op). Compiled files of deleted sources are removed first.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..');
const { pruneLib } = require('../../scripts/prune-lib');

/** The first .ts under `dir` whose lib/ .js is missing or older, or undefined. */
function staleSource(dir) {
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const stale = staleSource(rel);
      if (stale) return stale;
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const js = path.join(root, 'lib', rel.replace(/\.ts$/, '.js'));
      if (!fs.existsSync(js) || fs.statSync(path.join(root, rel)).mtimeMs > fs.statSync(js).mtimeMs) return rel;
    }
  }
  return undefined;
}

module.exports = function buildLib() {
  pruneLib();
  const stale = staleSource('src') ?? staleSource('constructs');
  if (!stale) return;
  process.stderr.write(`\nbuilding lib/ (npm run build): ${stale} is newer than its compiled file\n`);
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')],
    { cwd: root, stdio: 'inherit' },
  );
};
