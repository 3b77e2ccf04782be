import { Command } from 'commander';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of cluster files (hosts/cluster.schema.json, for editors)')
    .action(() => {
      const { clusterJsonSchema } = require('../model/json-schema') as typeof import('../model/json-schema');
      console.log(JSON.stringify(clusterJsonSchema(), null, 2));
    });
}
