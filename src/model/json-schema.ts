import { z } from 'zod';
import { FIELD_DOCS } from './field-docs';
import { clusterSchema } from './schema';

/**
 * The JSON Schema of a cluster file as a user writes it (defaults optional), for editors. A field's description is
 * its doc comment in the schema (FIELD_DOCS, generated from them), else the `.describe()` of a field without one.
 */
export function clusterJsonSchema(): object {
  const schema = z.toJSONSchema(clusterSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  // A schema embedded as metadata (the CNI plugins') brings its own $defs; its `#/$defs/...` refs mean the root's.
  const defs = { ...(schema.$defs as Record<string, unknown> | undefined), ...hoistDefs(schema, {}) };
  describeFields(schema, '');
  // The shared `ipam` object of the CNI plugins: `ipam<host-local>.subnet`.
  if (defs.cniIpam !== undefined) describeFields(defs.cniIpam as Record<string, unknown>, 'ipam');
  return { ...schema, ...(Object.keys(defs).length > 0 ? { $defs: defs } : {}), title: 'netstrap cluster file' };
}

/** Moves every `$defs` below the root of `node` into `into`; returns it. */
function hoistDefs(node: unknown, into: Record<string, unknown>, root = true): Record<string, unknown> {
  if (node === null || typeof node !== 'object') return into;
  const object = node as Record<string, unknown>;
  if (!root && object.$defs !== undefined) {
    Object.assign(into, object.$defs);
    delete object.$defs;
  }
  for (const value of Object.values(object)) hoistDefs(value, into, false);
  return into;
}

/** Sets the description of each field FIELD_DOCS documents (paths as `nodes[].routes[].via`, `plugins[]<bridge>.mtu`). */
function describeFields(node: Record<string, unknown>, at: string): void {
  if (at !== '' && FIELD_DOCS[at] !== undefined) node.description = FIELD_DOCS[at];
  const properties = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [key, value] of Object.entries(properties)) describeFields(value, at === '' ? key : `${at}.${key}`);
  if (node.items !== undefined && typeof node.items === 'object') describeFields(node.items as never, `${at}[]`);
  for (const key of ['anyOf', 'oneOf', 'allOf'])
    for (const branch of (node[key] ?? []) as Array<Record<string, unknown>>) {
      describeFields(branch, at);
      // A branch of a union on `type` (a CNI plugin) may have docs of its own: `plugins[]<bridge>.mtu`.
      const typeField = (branch.properties as Record<string, { const?: unknown; description?: string }> | undefined)
        ?.type;
      const type = typeField?.const;
      if (typeof type === 'string') {
        describeFields(branch, `${at}<${type}>`);
        typeField!.description ??= `The type of this entry: "${type}".`;
      }
    }
}
