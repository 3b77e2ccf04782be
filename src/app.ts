import { App } from 'cdk8s';
import { ClusterChart } from '../constructs/cluster-chart';
import { ClusterModel } from './model/load';

/**
 * Builds the cdk8s app of a validated cluster: one chart named after the cluster (<outdir>/<name>.k8s.yaml).
 * `outdir` defaults to cdk8s's own: $CDK8S_OUTDIR (what `cdk8s synth -o DIR` and `--stdout` set), else dist.
 */
export function buildApp(model: ClusterModel, outdir?: string): App {
  const app = new App(outdir === undefined ? {} : { outdir });
  new ClusterChart(app, model.cluster.name, { model });
  return app;
}
