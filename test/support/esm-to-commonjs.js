// Jest transform for the one ES-module-only dependency (@hpcc-js/wasm-graphviz, `netstrap graph --format svg`):
// jest's module system cannot load an ES module through require (Node >= 20.19 can, so the CLI needs no such step).
// TypeScript's transpiler rewrites its `export`s to CommonJS; jest caches the result.
const ts = require('typescript');

module.exports = {
  process(source, filename) {
    const out = ts.transpileModule(source, {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, allowJs: true },
    });
    return { code: out.outputText };
  },
};
