// The cdk8s app: `cdk8s synth` runs this. It synthesizes the cluster file named by NETSTRAP_CLUSTER
// (default: hosts/example.yaml) into dist/.
import { buildApp, printSynthWarnings } from './src/app';
import { InputError } from './src/model/errors';
import { loadClusterFile } from './src/model/load';

const file = process.env.NETSTRAP_CLUSTER ?? 'hosts/example.yaml';
try {
  const model = loadClusterFile(file);
  const app = buildApp(model);
  printSynthWarnings(model, app);
  app.synth();
} catch (error) {
  if (!(error instanceof InputError)) throw error;
  for (const line of error.lines()) console.error(line);
  process.exit(2);
}
