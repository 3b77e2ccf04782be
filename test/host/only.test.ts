/** `--only` is checked in one place (src/host/only.ts): by the CLI before any connection, and by the library. */
import { InputError } from '../../src/model/errors';
import { onlyIssues, selectNodes } from '../../src/host/only';
import { diagnoseCluster } from '../../src/host/diagnose';
import { planCluster } from '../../src/host/provision';
import { parseClusterText } from '../../src/model/load';

const model = parseClusterText(
  `name: t
network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }
nodes:
  - { name: n1, ssh: { host: 10.250.170.11 } }
  - { name: n2, ssh: { host: 10.250.170.12 } }
`,
  'c.yaml',
);
const nodes = model.cluster.nodes;
const refuse = () => {
  throw new Error('no connection may be made');
};

test('the named nodes, in file order; every node without --only', () => {
  expect(selectNodes(nodes, ['n2']).map((n) => n.name)).toEqual(['n2']);
  expect(selectNodes(nodes, undefined).map((n) => n.name)).toEqual(['n1', 'n2']);
  expect(onlyIssues(nodes, ['n1', 'n7'])).toEqual([{ path: ['only'], message: '(--only) no node named "n7"' }]);
});

test('plan and diagnose refuse an unknown node before connecting, as the CLI does (an InputError)', async () => {
  for (const run of [
    () => planCluster(model, { only: ['n7'], connector: refuse }),
    () => diagnoseCluster(model, { only: ['n7'], connector: refuse }),
  ]) {
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).lines()).toEqual(['netstrap: only: (--only) no node named "n7"']);
  }
});
