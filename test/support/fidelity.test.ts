import { compareManifests, expectFidelity, formatReport } from './fidelity';
import type { Manifest } from './k8s';

const cm = (data: Record<string, unknown>, name = 'c'): Manifest =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data }) as Manifest;

describe('fidelity helper', () => {
  test('equal objects pass; key order does not matter', () => {
    expect(() => expectFidelity([cm({ a: '1', b: '2' })], [cm({ b: '2', a: '1' })])).not.toThrow();
  });

  test('reports field differences by path, including type and null-vs-absent differences', () => {
    const report = compareManifests([cm({ a: 1, list: ['x'] })], [cm({ a: '1', list: ['x', 'y'], n: null })]);
    expect(report.differences.map((d) => d.path)).toEqual(['data.a', 'data.list[1]', 'data.n']);
    expect(formatReport(report)).toContain('ConfigMap ns/c: data.a: expected "1", got 1');
  });

  test('reports missing and unexpected objects', () => {
    const report = compareManifests([cm({}, 'ours')], [cm({}, 'theirs')]);
    expect(report.missing).toEqual(['v1 ConfigMap ns/theirs']);
    expect(report.unexpected).toEqual(['v1 ConfigMap ns/ours']);
  });

  test('an allowance covers its path and below; an unused allowance is an error; a reason is required', () => {
    const allow = [{ object: 'ConfigMap ns/c', path: 'data.list', reason: 'test: list may differ' }];
    expect(compareManifests([cm({ list: [1] })], [cm({ list: [2, 3] })], allow).differences).toEqual([]);
    expect(() => expectFidelity([cm({})], [cm({})], allow)).toThrow(/covers no difference.*data\.list/);
    expect(() => compareManifests([], [], [{ object: 'x', path: 'y', reason: '' }])).toThrow(/needs a reason/);
  });
});
