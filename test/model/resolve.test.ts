import * as fs from 'fs';
import * as path from 'path';
import { FactSet } from '../../src/host/fact';
import { routes } from '../../src/host/resources/routes';
import { derivedReason, effectiveNode, effectiveNodes } from '../../src/model/effective';
import { loadClusterFile } from '../../src/model/load';
import { podSubnets } from '../../src/model/pod-subnets';
import { deriveRouting } from '../../src/model/routing';
import { type Cluster, derivedIsCurrent } from '../../src/model/schema';
import { formatTrace, traceProbe } from '../../src/model/trace';
import { fixture } from '../support/lab';

const cluster = loadClusterFile(fixture('i12-pods.yaml')).cluster;
const noFacts = new FactSet({ 'ip-route': '[]', 'ip-addr': '[]' });

/** What a user sees of a cluster: every node's route plan, its derived routes and every probe's trace. */
function outcome(c: Cluster) {
  return {
    plans: c.nodes.map((node) =>
      routes.plan(effectiveNode(c, node), noFacts, c).map((change) => `${change.target}: ${change.after}`),
    ),
    routes: effectiveNodes(c).map((node) => node.routes.map((r) => `${r.to} via ${r.via} ${derivedReason(r) ?? ''}`)),
    traces: c.verify.map((spec) => formatTrace(traceProbe(c, spec))),
  };
}

describe('one resolved cluster, passed explicitly', () => {
  const original = outcome(cluster);

  test('the fixture derives routes, pod subnets and traces (so the comparisons below compare something)', () => {
    expect(original.plans.flat().filter((line) => line.includes('(derived: pod subnet of'))).not.toHaveLength(0);
    expect(podSubnets(cluster).subnets).toHaveLength(4);
    expect(original.traces.filter((text) => text.includes('delivered'))).not.toHaveLength(0);
  });

  test.each([
    ['structuredClone', () => structuredClone(cluster)],
    ['a spread', () => ({ ...cluster })],
    ['a spread of every node', () => ({ ...cluster, nodes: cluster.nodes.map((node) => ({ ...node })) })],
  ])('a copy made by %s plans, routes and traces the same', (_, copy) => {
    const copied = copy();
    expect(outcome(copied)).toEqual(original);
  });

  test('structuredClone and a spread keep the derived data itself; a derived route copied keeps its reason', () => {
    expect(derivedIsCurrent(structuredClone(cluster))).toBe(true);
    expect(derivedIsCurrent({ ...cluster })).toBe(true);
    const derived = effectiveNodes(cluster)
      .flatMap((node) => node.routes)
      .find((route) => derivedReason(route) !== undefined)!;
    expect(derivedReason({ ...derived })).toBe(derivedReason(derived));
    expect(derivedReason(structuredClone(derived))).toBe('LAN lan2 via router r1');
  });

  test('a copy with other nodes is derived anew, not answered from the original', () => {
    const without = { ...cluster, nodes: cluster.nodes.filter((node) => node.name !== 'node04') };
    expect(derivedIsCurrent(without)).toBe(false);
    const gone = podSubnets(cluster).byNode.get('node04')!.cidr;
    expect(
      deriveRouting(cluster)
        .routes.get('node01')
        ?.map((r) => r.to),
    ).toContain(gone);
    expect(
      deriveRouting(without)
        .routes.get('node01')
        ?.map((r) => r.to),
    ).not.toContain(gone);
    expect(effectiveNodes(without).map((node) => node.name)).not.toContain('node04');
    // The original is untouched.
    expect(outcome(cluster)).toEqual(original);
  });
});

test('no WeakMap or WeakSet in src/ or constructs/: no state hidden beside a value', () => {
  const root = path.join(__dirname, '..', '..');
  const files = (dir: string): string[] =>
    fs
      .readdirSync(path.join(root, dir), { withFileTypes: true })
      .flatMap((entry) =>
        entry.isDirectory()
          ? files(path.join(dir, entry.name))
          : entry.name.endsWith('.ts')
            ? [path.join(dir, entry.name)]
            : [],
      );
  const found = [...files('src'), ...files('constructs')].flatMap((file) =>
    fs
      .readFileSync(path.join(root, file), 'utf8')
      .split('\n')
      .flatMap((line, i) => (/\bWeak(Map|Set|Ref)\b/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  );
  expect(found).toEqual([]);
});
