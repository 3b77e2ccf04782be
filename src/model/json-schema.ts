import { z } from 'zod';
import { clusterSchema } from './schema';

/** The JSON Schema of a cluster file as a user writes it (defaults optional), for editors. */
export function clusterJsonSchema(): object {
  return {
    ...z.toJSONSchema(clusterSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'netstrap cluster file',
  };
}
