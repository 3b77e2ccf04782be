import { App } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { ClusterChart } from '../constructs/cluster-chart';
import { warningsOf } from '../constructs/warnings';
import { warningLines } from './model/errors';
import { ClusterModel } from './model/load';

/**
 * Builds the cdk8s app of a validated cluster: one chart named after the cluster (<outdir>/<name>.k8s.yaml).
 * `outdir` defaults to cdk8s's own: $CDK8S_OUTDIR (what `cdk8s synth -o DIR` and `--stdout` set), else dist.
 * The chart's warnings are recorded, not printed: {@link printChartWarnings} prints them.
 */
export function buildApp(model: ClusterModel, outdir?: string): App {
  const app = new App(outdir === undefined ? {} : { outdir });
  new ClusterChart(app, model.cluster.name, { model });
  return app;
}

/** Prints the warnings the constructs under `scope` recorded, one `warning: …` line each (to stderr by default). */
export function printChartWarnings(
  scope: IConstruct,
  write: (text: string) => void = (text) => {
    process.stderr.write(text);
  },
): void {
  for (const warning of warningsOf(scope)) write(`warning: ${warning}\n`);
}

/**
 * What `cdk8s synth` and `netstrap synth` print before writing, the same warnings as `netstrap validate`: the cluster
 * file's (`warning: file: path: message`), then those the constructs of `app` recorded.
 */
export function printSynthWarnings(
  model: Pick<ClusterModel, 'file' | 'warnings'>,
  app: IConstruct,
  write: (text: string) => void = (text) => {
    process.stderr.write(text);
  },
): void {
  for (const line of warningLines(model.file, model.warnings)) write(`${line}\n`);
  printChartWarnings(app, write);
}
