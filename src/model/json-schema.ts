import { z } from 'zod';
import { clusterSchema } from './schema';

/** The JSON Schema of a cluster file as a user writes it (defaults optional), for editors. */
export function clusterJsonSchema(): object {
  const schema = z.toJSONSchema(clusterSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  // A schema embedded as metadata (the CNI plugins') brings its own $defs; its `#/$defs/...` refs mean the root's.
  const defs = hoistDefs(schema, {});
  const all = { ...(schema.$defs as Record<string, unknown> | undefined), ...defs };
  return { ...schema, ...(Object.keys(all).length > 0 ? { $defs: all } : {}), title: 'netstrap cluster file' };
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
