import { ApiObject } from 'cdk8s';
import { Command } from 'commander';
import { buildApp } from '../app';
import { loadClusterFile } from '../model/load';

export function registerSynth(program: Command): void {
  program.command('synth')
    .description('synthesize the Kubernetes manifests of a cluster file (the same YAML `cdk8s synth` writes)')
    .argument('<cluster.yaml>', 'the cluster file')
    .option('-o, --output <dir>', 'output directory', 'dist')
    .action((file: string, options: { output: string }) => {
      const model = loadClusterFile(file);
      const app = buildApp(model, options.output);
      app.synth();
      console.log(`${options.output}/${model.cluster.name}.k8s.yaml: ${app.node.findAll().filter((c) => c instanceof ApiObject).length} objects`);
    });
}
