import * as fs from 'fs';
import * as path from 'path';
import { FIELD_DOCS_FILE, fieldDocsModule } from '../../scripts/field-docs';
import { clusterJsonSchema } from '../../src/model/json-schema';

test('hosts/cluster.schema.json is in sync with the zod schema (regenerate: npm run schema)', () => {
  const file = path.join(__dirname, '..', '..', 'hosts', 'cluster.schema.json');
  expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(clusterJsonSchema());
});

test('src/model/field-docs.ts holds the doc comments of the schema as they are (regenerate: npm run schema)', () => {
  expect(fs.readFileSync(FIELD_DOCS_FILE, 'utf8')).toBe(fieldDocsModule());
});

/** JSON pointers of the properties under `node` that have no description (editors would show nothing for them). */
function undescribed(node: unknown, at: string): string[] {
  if (node === null || typeof node !== 'object') return [];
  if (Array.isArray(node)) return node.flatMap((value, index) => undescribed(value, `${at}/${index}`));
  return Object.entries(node).flatMap(([key, value]) => {
    if (key !== 'properties' || value === null || typeof value !== 'object') return undescribed(value, `${at}/${key}`);
    return Object.entries(value as Record<string, { description?: unknown }>).flatMap(([name, property]) => [
      ...(typeof property.description === 'string' && property.description !== '' ? [] : [`${at}/properties/${name}`]),
      ...undescribed(property, `${at}/properties/${name}`),
    ]);
  });
}

test('every property of the cluster JSON Schema has a description, the Kubernetes mirrors and $defs included', () => {
  const schema = clusterJsonSchema();
  expect(undescribed(schema, '#')).toEqual([]);
  // The walk reaches the nested shapes (a broken walk would pass vacuously).
  const text = JSON.stringify(schema);
  expect(text).toContain('"hostSide":{');
  expect((text.match(/"description":/g) ?? []).length).toBeGreaterThan(400);
  // And it fails on a property without one.
  expect(undescribed({ properties: { a: { type: 'string' } } }, '#')).toEqual(['#/properties/a']);
});
