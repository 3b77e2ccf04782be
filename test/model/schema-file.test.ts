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
