// Removes compiled files from lib/ whose TypeScript source is gone (a renamed or deleted module), so that neither
// the tests nor the packed tarball see them. Run by `npm run build` and by jest's global setup.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const COMPILED = /(\.d\.ts|\.js|\.js\.map|\.d\.ts\.map)$/;

/** Deletes lib/<dir>/**\/x.{js,d.ts,maps} without a <dir>/**\/x.ts; returns the removed paths (relative to lib/). */
function pruneLib(dirs = ['src', 'constructs']) {
  const removed = [];
  const walk = (rel) => {
    let entries;
    try {
      entries = fs.readdirSync(path.join(root, 'lib', rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (COMPILED.test(entry.name) && !fs.existsSync(path.join(root, child.replace(COMPILED, '.ts')))) {
        fs.rmSync(path.join(root, 'lib', child));
        removed.push(child);
      }
    }
  };
  for (const dir of dirs) walk(dir);
  return removed;
}

module.exports = { pruneLib };
if (require.main === module) {
  const removed = pruneLib();
  if (removed.length > 0) console.log(`lib/: removed ${removed.length} compiled files whose source is gone`);
}
