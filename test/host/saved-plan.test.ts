/**
 * The saved plan (`plan --out`, `bootstrap --plan`): the digest of the facts a plan was made from moves with what
 * netstrap reads, not with what the kernel changes on its own; what moved is named; a changed cluster file, another
 * cluster, an edited or unreadable file are refused before any connection (exit 2). The lab test
 * (plan.lab.test.ts) applies and refuses saved plans on real nodes.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCaptured } from '../../src/cli/main';
import { FactSet } from '../../src/host/fact';
import { ownershipFacts } from '../../src/host/ownership';
import { resourceKinds } from '../../src/host/resources';
import {
  canonicalJson,
  factDigests,
  movedFacts,
  movedMessage,
  parseSavedPlan,
  type SavedPlan,
  samePlan,
  savePlan,
  savedPlanIssues,
  sha256,
} from '../../src/host/saved-plan';
import type { Change } from '../../src/host/types';
import { effectiveNodes } from '../../src/model/effective';
import { loadClusterFile } from '../../src/model/load';
import { fixture } from '../support/lab';

const clusterFile = fixture('i24-plan.yaml');
const { cluster } = loadClusterFile(clusterFile);
const node01 = effectiveNodes(cluster)[0];
const bare = JSON.parse(fs.readFileSync(fixture('host-facts/bare.json'), 'utf8')) as Record<string, string>;
const digests = (outputs: Record<string, string>) =>
  factDigests([...resourceKinds, ownershipFacts], node01, cluster, new FactSet(outputs));

test('the facts digest moves with what netstrap reads, not with address lifetimes or fields it does not read', () => {
  const before = digests(bare);
  expect(Object.keys(before)).toEqual(expect.arrayContaining(['ip-addr', 'ip-route', 'file:etc:hosts']));
  const aged = {
    ...bare,
    'ip-addr': bare['ip-addr'].replace(/"valid_life_time":4294967295/g, '"valid_life_time":3600'),
  };
  const counted = { ...bare, 'ip-addr': bare['ip-addr'].replace(/"txqlen":1000/g, '"txqlen":500') };
  expect(movedFacts(before, digests(aged))).toEqual([]);
  expect(movedFacts(before, digests(counted))).toEqual([]);

  const routed = { ...bare, 'ip-route': '[{"dst":"192.168.2.0/25","gateway":"192.168.1.99","dev":"eth0"}]\n' };
  const hosts = { ...routed, 'file:etc:hosts': 'file:MTI3LjAuMC4xIGxvY2FsaG9zdAo=\n' };
  expect(movedFacts(before, digests(hosts))).toEqual(['ip-route', 'file:etc:hosts']);
});

test('a refusal names the node and what moved, in words; another run first', () => {
  const argv = (name: string) => (name === 'file:etc:hosts' ? ['sh', '-c', '…', 'sh', '/etc/hosts'] : undefined);
  expect(movedMessage('node01', ['ip-route', 'netns:red:ip-addr', 'file:etc:hosts'], argv)).toBe(
    'refused: node01 changed since the plan was made (routes, addresses in netns red, /etc/hosts read differently ' +
      'now); nothing was applied: run netstrap plan --out again and review it',
  );
  expect(movedMessage('r', ['netstrap-run-serial', 'sysctl-values'])).toContain(
    '(another netstrap run applied changes since; sysctl-values read differently now)',
  );
  const many = Array.from({ length: 9 }, (_, i) => `fact-${i}`);
  expect(movedMessage('n', many)).toContain('fact-5 and 3 more read differently');
});

const change: Change = {
  kind: 'route',
  target: '192.168.2.0/24',
  before: 'absent',
  after: 'via 192.168.1.1',
  apply: [{ argv: ['ip', 'route', 'replace', '192.168.2.0/24', 'via', '192.168.1.1'] }],
  revert: [{ argv: ['ip', 'route', 'del', '192.168.2.0/24'] }],
  owns: [{ kind: 'route', id: '192.168.2.0/24 metric 0', prior: null }],
};
const hosts = [{ node: 'node01', status: 'pending', changes: [change], factDigests: digests(bare) }];
const fileSha = sha256(fs.readFileSync(clusterFile));

function saved(): SavedPlan {
  const result = savePlan(hosts, 'i24plan', { path: clusterFile, sha256: fileSha }, false, new Date(0));
  if ('unread' in result) throw new Error('not saved');
  return result;
}

test('a saved plan reads back as the same plan; a host that was not read leaves nothing to save', () => {
  const text = JSON.stringify(saved(), null, 2);
  const back = parseSavedPlan(text) as SavedPlan;
  expect(back).toEqual(saved());
  expect(samePlan(back.nodes[0].changes, [change])).toBe(true);
  expect(samePlan(back.nodes[0].changes, [{ ...change, after: 'via 192.168.1.2' }])).toBe(false);
  // Key order is no difference.
  expect(canonicalJson({ b: 1, a: new Map([['x', 1]]) })).toBe(canonicalJson({ a: new Map([['x', 1]]), b: 1 }));
  expect(text).not.toMatch(/PRIVATE KEY|identity/i);

  const unread = savePlan(
    [...hosts, { node: 'node02', status: 'unreachable', changes: [] }],
    'i24plan',
    { path: clusterFile, sha256: fileSha },
    false,
  );
  expect('unread' in unread && unread.unread.map((h) => h.node)).toEqual(['node02']);
});

test('an unreadable, edited or foreign plan file is an error naming the field', () => {
  expect(parseSavedPlan('{')).toEqual({ issues: [expect.objectContaining({ path: [] })] });
  expect(parseSavedPlan('{"format": 7}')).toEqual({
    issues: [expect.objectContaining({ path: ['format'], message: expect.stringContaining('format 7') })],
  });
  const bad = JSON.parse(JSON.stringify(saved()));
  bad.nodes[0].changes[0].apply = [{ shell: 'rm -rf /' }];
  const issues = (parseSavedPlan(JSON.stringify(bad)) as { issues: Array<{ path: ReadonlyArray<unknown> }> }).issues;
  expect(issues[0].path.slice(0, 5)).toEqual(['nodes', 0, 'changes', 0, 'apply']);

  expect(savedPlanIssues(saved(), 'i24plan', fileSha)).toEqual([]);
  expect(savedPlanIssues(saved(), 'other', fileSha)).toEqual([
    { path: ['cluster'], message: 'the plan is of cluster "i24plan", the cluster file is of "other"' },
  ]);
  expect(savedPlanIssues(saved(), 'i24plan', sha256('changed'))).toEqual([
    expect.objectContaining({
      path: ['clusterFile', 'sha256'],
      message: expect.stringMatching(/^the cluster file changed since the plan was made/),
    }),
  ]);
});

describe('bootstrap --plan refuses before any connection (exit 2)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-saved-plan-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a changed cluster file, an unreadable plan, flags the plan fixes', async () => {
    const copy = path.join(dir, 'cluster.yaml');
    // An unroutable ssh host: a connection attempt would fail (exit 1), not exit 2.
    fs.writeFileSync(copy, fs.readFileSync(clusterFile, 'utf8').replace(/10\.250\.200\./g, '192.0.2.'));
    const planFile = path.join(dir, 'plan.json');
    fs.writeFileSync(planFile, JSON.stringify({ ...saved(), clusterFile: { path: copy, sha256: sha256('old') } }));
    const changed = await runCaptured(['bootstrap', copy, '--plan', planFile, '--connect-timeout', '1']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain(
      `${planFile}: clusterFile.sha256: the cluster file changed since the plan was made`,
    );
    expect(changed.stdout).toBe('');

    fs.writeFileSync(planFile, 'not json');
    const unreadable = await runCaptured(['bootstrap', copy, '--plan', planFile]);
    expect([unreadable.code, unreadable.stderr]).toEqual([
      2,
      expect.stringContaining(`${planFile}: (root): not a saved netstrap plan`),
    ]);

    const flags = await runCaptured(['bootstrap', copy, '--plan', planFile, '--only', 'node01', '--keep-removed']);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain('only: (--only) cannot be combined with --plan');
    expect(flags.stderr).toContain('keep-removed: (--keep-removed) cannot be combined with --plan');

    const missing = await runCaptured(['bootstrap', copy, '--plan', path.join(dir, 'none.json')]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('(--plan) file not found')]);
  });
});
