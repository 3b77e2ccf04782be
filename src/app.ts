import { App } from 'cdk8s';
import { ClusterChart } from '../constructs/cluster-chart';
import { ClusterModel } from './model/load';

/** Builds the cdk8s app of a validated cluster: one chart named after the cluster (dist/<name>.k8s.yaml). */
export function buildApp(model: ClusterModel, outdir = 'dist'): App {
  const app = new App({ outdir });
  new ClusterChart(app, model.cluster.name, { model });
  return app;
}
