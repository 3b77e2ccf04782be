import { Command } from 'commander';
import { clusterJsonSchema } from '../model/json-schema';

export function registerSchema(program: Command): void {
  program.command('schema')
    .description('print the JSON Schema of cluster files (hosts/cluster.schema.json, for editors)')
    .action(() => {
      console.log(JSON.stringify(clusterJsonSchema(), null, 2));
    });
}
