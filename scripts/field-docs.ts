/**
 * Each cluster-file field is documented once, by the doc comment on its zod shape (src/model/schema.ts,
 * src/model/cni/plugins.ts): editors show it on the props types. This script reads those comments through the
 * TypeScript checker, from the type of a cluster file as written (ClusterInput), and writes them to
 * src/model/field-docs.ts, from which the JSON Schema takes its descriptions (src/model/json-schema.ts).
 * `npm run schema` runs it; test/model/schema-file.test.ts fails when the file is out of date.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.join(__dirname, '..');
export const FIELD_DOCS_FILE = path.join(root, 'src', 'model', 'field-docs.ts');

/** The text of a property's doc comment, its `@default` tag as "Default: …". */
function docOf(symbol: ts.Symbol, checker: ts.TypeChecker): string | undefined {
  const text = ts.displayPartsToString(symbol.getDocumentationComment(checker)).replace(/\s+/g, ' ').trim();
  const fallback = symbol
    .getJsDocTags(checker)
    .filter((tag) => tag.name === 'default')
    // `@default - X` says there is no literal default, only X.
    .map((tag) => `Default: ${ts.displayPartsToString(tag.text).replace(/\s+/g, ' ').trim().replace(/^- /, '')}`);
  const doc = [text, ...fallback].filter((part) => part !== '').join(' ');
  return doc === '' ? undefined : doc;
}

/** The object types a value of `type` may be: arrays give their element (path `[]`), unions each member. */
function shapes(type: ts.Type, checker: ts.TypeChecker, at: string): Array<{ type: ts.Type; at: string }> {
  const members = type.isUnion() ? type.types : [type];
  return members.flatMap((member) => {
    if (member.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)) return [];
    if (checker.isArrayType(member) || checker.isTupleType(member)) {
      const [element] = checker.getTypeArguments(member as ts.TypeReference);
      return element ? shapes(element, checker, `${at}[]`) : [];
    }
    if (member.flags & ts.TypeFlags.Object && member.getCallSignatures().length === 0) return [{ type: member, at }];
    return [];
  });
}

/** Adds the doc of every property below `type` to `docs`, by path from `at` (the first doc found for a path wins). */
function walkDocs(type: ts.Type, at: string, checker: ts.TypeChecker, docs: Record<string, string>, depth = 0): void {
  if (depth > 12) return;
  for (const shape of shapes(type, checker, at)) {
    for (const property of shape.type.getProperties()) {
      const here = shape.at === '' ? property.name : `${shape.at}.${property.name}`;
      const doc = docOf(property, checker);
      if (doc !== undefined && docs[here] === undefined) docs[here] = doc;
      walkDocs(checker.getTypeOfSymbol(property), here, checker, docs, depth + 1);
    }
  }
}

/** Every documented field of the cluster file, by path (`network.podCidr`, `nodes[].routes[].via`). */
export function clusterFieldDocs(): Record<string, string> {
  const file = path.join(root, 'src', 'model', 'schema.ts');
  const program = ts.createProgram([file], { strict: true, skipLibCheck: true, esModuleInterop: true });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  const input = checker.getExportsOfModule(module).find((s) => s.name === 'ClusterInput')!;
  const docs: Record<string, string> = {};
  walkDocs(checker.getDeclaredTypeOfSymbol(input), '', checker, docs);
  Object.assign(docs, pluginFieldDocs(program, checker));
  return Object.fromEntries(Object.entries(docs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The options of each CNI plugin (src/model/cni/plugins.ts), by `cni.conflist.plugins[]<type>.option`: the cluster
 * file types a plugin entry as any object (its key order is kept), so its options are read from the plugin shapes.
 */
function pluginFieldDocs(program: ts.Program, checker: ts.TypeChecker): Record<string, string> {
  const file = program.getSourceFile(path.join(root, 'src', 'model', 'cni', 'plugins.ts'))!;
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(file)!);
  const schemas = exports.find((s) => s.name === 'pluginOptionsSchemas')!;
  const docs: Record<string, string> = {};
  // A zod schema's type carries the value it reads as `_zod.input`: its properties hold the doc comments.
  const inputOf = (schema: ts.Symbol): ts.Type | undefined => {
    const zod = checker.getTypeOfSymbol(schema).getProperty('_zod');
    const input = zod && checker.getTypeOfSymbol(zod).getProperty('input');
    return input && checker.getTypeOfSymbol(input);
  };
  for (const plugin of checker.getTypeOfSymbol(schemas).getProperties()) {
    const at = `cni.conflist.plugins[]<${plugin.name}>`;
    const input = inputOf(plugin);
    if (input) walkDocs(input, at, checker, docs);
  }
  // `ipam` is one shared definition (#/$defs/cniIpam), documented once as `ipam<type>.option`.
  for (const key of Object.keys(docs)) if (/^cni\.conflist\.plugins\[\]<[^>]+>\.ipam\./.test(key)) delete docs[key];
  const ipams = exports.find((s) => s.name === 'ipamOptionsSchemas')!;
  for (const ipam of checker.getTypeOfSymbol(ipams).getProperties()) {
    const input = inputOf(ipam);
    if (input) walkDocs(input, `ipam<${ipam.name}>`, checker, docs);
  }
  return docs;
}

/** The text of src/model/field-docs.ts. */
export function fieldDocsModule(docs: Record<string, string> = clusterFieldDocs()): string {
  return [
    '// Generated by scripts/field-docs.ts (npm run schema) from the doc comments of the cluster-file schema: edit',
    '// those, not this file. The JSON Schema (src/model/json-schema.ts) takes its descriptions from here.',
    `export const FIELD_DOCS: Readonly<Record<string, string>> = ${JSON.stringify(docs, null, 2)};`,
    '',
  ].join('\n');
}

if (require.main === module) fs.writeFileSync(FIELD_DOCS_FILE, fieldDocsModule());
