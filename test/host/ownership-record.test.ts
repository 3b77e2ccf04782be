/**
 * Ownership records written by the version before ids became records (main at 1612262, format version 1): the fixtures in
 * test/fixtures/ownership/ (.txt: byte for byte, not reformatted) are what that version's planner wrote for the recorded facts of test/host/resources
 * (bare; drifted with the Kubernetes prerequisites). Today's planner must write the same bytes, read every id back
 * as its kind's record, and remove every owned object once nothing is declared.
 */
import * as fs from 'fs';
import { FactSet } from '../../src/host/fact';
import { planNode } from '../../src/host/node-plan';
import { parseRecord, recordPath } from '../../src/host/ownership';
import { declaringNothing } from '../../src/host/provision';
import { resourceKinds } from '../../src/host/resources';
import { fileFactSection } from '../../src/host/resources/file-facts';
import { fixture } from '../support/lab';
import { recordedOutputs } from './resources/facts-fixtures';
import { model } from './resources/model';

const { cluster, node } = model();
const bare = { facts: recordedOutputs('bare'), node, file: 'bare.state.json.txt' };
const k8s = {
  facts: { ...recordedOutputs('drifted'), 'kernel-module-br_netfilter': 'loadable\n' },
  node: { ...node, kubernetesPrerequisites: true },
  file: 'k8s-drifted.state.json.txt',
};
const written = (file: string) => fs.readFileSync(fixture(`ownership/${file}`), 'utf8');
const withRecord = (facts: Record<string, string>, record: string) =>
  new FactSet({
    ...facts,
    [fileFactSection(recordPath(cluster.name))]: `file:${Buffer.from(record).toString('base64')}\n`,
  });

describe.each([bare, k8s])('a version-1 record ($file)', ({ facts, node: wanted, file }) => {
  const record = written(file);

  it('is what today’s planner writes from the same facts, byte for byte', () => {
    const update = planNode(wanted, cluster, resourceKinds, new FactSet(facts)).find((c) => c.kind === 'ownership');
    expect(update?.apply).toContainEqual(
      expect.objectContaining({ writeFile: recordPath(cluster.name), content: record }),
    );
  });

  it('is read: every id is a record of its kind, and spells back to the same string', () => {
    const { objects } = parseRecord(withRecord(facts, record), cluster.name);
    expect(objects.length).toBeGreaterThan(10);
    for (const object of objects) {
      const ids = resourceKinds.find((kind) => kind.kind === object.kind)?.ownedIds;
      const id = ids?.read(object.id);
      expect([object.kind, object.id, typeof id]).toEqual([object.kind, object.id, 'object']);
      expect(ids?.key(id)).toBe(object.id);
    }
  });

  it('lets reset release every object it lists, each exactly once', () => {
    const owned = parseRecord(withRecord(facts, record), cluster.name).objects;
    const changes = planNode(declaringNothing(wanted), cluster, resourceKinds, withRecord(facts, record));
    const released = changes.flatMap((c) => c.releases ?? []).map((o) => `${o.kind} ${o.id}`);
    expect(released.sort()).toEqual(owned.map((o) => `${o.kind} ${o.id}`).sort());
    expect(changes.at(-1)).toMatchObject({ kind: 'ownership', after: '0 owned object(s)' });
  });
});

test('ids this version never wrote are not taken for one of its kinds', () => {
  const kind = (name: string) => resourceKinds.find((k) => k.kind === name)!.ownedIds!;
  expect(kind('route').read('10.0.0.0/8')).toBeUndefined();
  expect(kind('link').read('eth0 speed')).toBeUndefined();
  expect(kind('netns').read('veth')).toEqual({ part: 'namespace', namespace: 'veth' });
  expect(kind('netns').read('a b c d')).toBeUndefined();
  expect(kind('cni-files').read('/etc/cni/net.d/x')).toBeUndefined();
});
