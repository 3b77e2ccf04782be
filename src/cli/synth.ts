import { Command } from 'commander';

export function registerSynth(program: Command): void {
  program.command('synth')
    .description('synthesize the Kubernetes manifests of a cluster file (the same YAML `cdk8s synth` writes)')
    .argument('<cluster.yaml>', 'the cluster file')
    .option('-o, --output <dir>', 'output directory', 'dist')
    .action((file: string, options: { output: string }) => {
      // cdk8s and the constructs are loaded only when synth runs (the other commands never need them).
      const { ApiObject } = require('cdk8s') as typeof import('cdk8s');
      const { buildApp } = require('../app') as typeof import('../app');
      const { loadClusterFile } = require('../model/load') as typeof import('../model/load');
      const model = loadClusterFile(file);
      const app = buildApp(model, options.output);
      app.synth();
      console.log(`${options.output}/${model.cluster.name}.k8s.yaml: ${app.node.findAll().filter((c) => c instanceof ApiObject).length} objects`);
    });
}
