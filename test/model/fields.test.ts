/**
 * Every field of the cluster-file schema has a declared destination: the synthesized manifests (constructs/), the
 * host provisioner (src/host/), or an explicit list of fields that are not output, each with the reason. A field
 * added to the schema alone fails here until it is wired and listed, instead of being parsed and silently dropped.
 * (Where construct props and the file differ on purpose is said once, in src/model/props.ts.) The lists are in
 * test/support/fields.ts; field-output.test.ts proves that each listed value reaches its output.
 */
import { clusterSchema } from '../../src/model/schema';
import { leaves, NOT_OUTPUT, PROVISIONED, SYNTHESIZED } from '../support/fields';

test('every schema field is synthesized, provisioned or listed as not output (exactly one of them)', () => {
  const fields = leaves(clusterSchema);
  const declared = [...SYNTHESIZED, ...PROVISIONED, ...Object.keys(NOT_OUTPUT)];
  expect(fields.filter((f) => !declared.includes(f))).toEqual([]);
  expect(declared.filter((f) => !fields.includes(f))).toEqual([]);
  expect(declared.filter((f, i) => declared.indexOf(f) !== i)).toEqual([]);
});
