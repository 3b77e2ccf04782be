import { Command, Option } from 'commander';

export function registerSynth(program: Command): void {
  program.command('synth')
    .description('synthesize the Kubernetes manifests of a cluster file (the same YAML `cdk8s synth` writes)')
    .argument('<cluster.yaml>', 'the cluster file')
    .addOption(new Option('-o, --output <dir>', 'output directory (default: $CDK8S_OUTDIR, else dist)').conflicts('stdout'))
    .option('-p, --stdout', 'write the manifests to stdout instead of the output directory (as `cdk8s synth --stdout`)')
    .action((file: string, options: { output?: string; stdout?: boolean }) => {
      // cdk8s and the constructs are loaded only when synth runs (the other commands never need them).
      const { ApiObject } = require('cdk8s') as typeof import('cdk8s');
      const { buildApp } = require('../app') as typeof import('../app');
      const { loadClusterFile } = require('../model/load') as typeof import('../model/load');
      const model = loadClusterFile(file);
      const app = buildApp(model, options.output);
      if (options.stdout) {
        process.stdout.write(app.synthYaml());
        return;
      }
      app.synth();
      const objects = app.node.findAll().filter((c) => c instanceof ApiObject).length;
      console.log(`${app.outdir}/${model.cluster.name}.k8s.yaml: ${objects} objects`);
    });
}
