import * as fs from 'fs';
import * as path from 'path';
import { Command, Option } from 'commander';
import { InputError } from '../model/errors';
import { type Output, printWarnings, processOutput } from './output';

/** File systems whose "files" are not storage: writing there hangs or changes the machine, never saves a manifest. */
const SPECIAL_ROOTS = ['/proc', '/sys', '/dev'];

/**
 * Checks `-o DIR` before anything is synthesized: DIR is a directory or does not exist yet, is not under a special
 * file system, and the manifest it will hold is not something other than a regular file.
 */
export function checkOutputDir(dir: string, manifest: string): void {
  const problem = (message: string) =>
    new InputError('netstrap', [{ path: ['output'], message: `(-o) ${JSON.stringify(dir)} ${message}` }]);
  // The nearest existing ancestor, with symbolic links resolved, tells where the files would really go.
  let existing = path.resolve(dir);
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  const real = fs.realpathSync(existing);
  const special = SPECIAL_ROOTS.find((root) => real === root || real.startsWith(`${root}/`));
  if (special) throw problem(`is under ${special}, which holds no regular files`);
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw problem('exists and is not a directory');
    const target = path.join(dir, manifest);
    if (fs.existsSync(target) && !fs.statSync(target).isFile())
      throw problem(`holds ${manifest}, which is not a regular file`);
  } else if (!fs.statSync(existing).isDirectory()) {
    throw problem(`cannot be created: ${existing} is not a directory`);
  }
}

export function registerSynth(program: Command, out: Output = processOutput): void {
  program
    .command('synth')
    .description('synthesize the Kubernetes manifests of a cluster file (the same YAML `cdk8s synth` writes)')
    .argument('<cluster.yaml>', 'the cluster file')
    .addOption(
      new Option('-o, --output <dir>', 'output directory (default: $CDK8S_OUTDIR, else dist)').conflicts('stdout'),
    )
    .option('-p, --stdout', 'write the manifests to stdout instead of the output directory (as `cdk8s synth --stdout`)')
    .action((file: string, options: { output?: string; stdout?: boolean }) => {
      // cdk8s and the constructs are loaded only when synth runs (the other commands never need them).
      const { ApiObject } = require('cdk8s') as typeof import('cdk8s');
      const { buildApp, printChartWarnings } = require('../app') as typeof import('../app');
      const { loadClusterFile } = require('../model/load') as typeof import('../model/load');
      const model = loadClusterFile(file);
      printWarnings(out, model);
      if (!options.stdout)
        checkOutputDir(options.output ?? process.env.CDK8S_OUTDIR ?? 'dist', `${model.cluster.name}.k8s.yaml`);
      const app = buildApp(model, options.output);
      printChartWarnings(app, out.err);
      if (options.stdout) {
        out.out(app.synthYaml());
        return;
      }
      app.synth();
      const objects = app.node.findAll().filter((c) => c instanceof ApiObject).length;
      out.out(`${app.outdir}/${model.cluster.name}.k8s.yaml: ${objects} objects\n`);
    });
}
