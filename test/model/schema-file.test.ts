import * as fs from 'fs';
import * as path from 'path';
import { clusterJsonSchema } from '../../src/model/json-schema';

test('hosts/cluster.schema.json is in sync with the zod schema (regenerate: npm run schema)', () => {
  const file = path.join(__dirname, '..', '..', 'hosts', 'cluster.schema.json');
  expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(clusterJsonSchema());
});
