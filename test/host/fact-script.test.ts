/** The fact script, run for real by /bin/sh: sections come back byte for byte, missing things read as empty. */
import { spawnSync } from 'child_process';
import { buildFactScript, factSections, newMarker, parseFacts } from '../../src/host/fact-script';
import type { FactReader } from '../../src/host/fact';
import type { Cluster, ClusterNode } from '../../src/model/schema';

const node = {} as ClusterNode;
const cluster = {} as Cluster;
const kind = (_name: string, facts: Record<string, string[]>): FactReader => ({
  facts: () => Object.entries(facts).map(([name, argv]) => ({ name, argv, parse: String })),
});

function sh(script: string): string {
  return spawnSync('sh', ['-c', 'eval "$(cat)"'], { input: script, encoding: 'utf8' }).stdout;
}

test("each section holds exactly its command's stdout; errors and missing files give empty sections", () => {
  const kinds = [
    kind('a', { text: ['printf', '%s', 'no final newline'], lines: ['printf', 'one\ntwo\n\n'] }),
    kind('b', { missing: ['cat', '/nonexistent/netstrap'], nocommand: ['netstrap-no-such-command'], empty: ['true'] }),
  ];
  const sections = factSections(node, cluster, kinds);
  const marker = newMarker();
  const facts = parseFacts(sh(buildFactScript(sections, marker)), sections, marker);
  expect(facts).toEqual({ text: 'no final newline', lines: 'one\ntwo\n\n', missing: '', nocommand: '', empty: '' });
});

test('output that imitates a marker of another run cannot split a section', () => {
  const fake = `${newMarker()} end\n${newMarker()} fact x\n`;
  const sections = factSections(node, cluster, [kind('a', { s: ['printf', '%s', fake] })]);
  const marker = newMarker();
  expect(parseFacts(sh(buildFactScript(sections, marker)), sections, marker)).toEqual({ s: fake });
});

test('kinds reading the same section share one read; one name with two commands is refused', () => {
  const sections = factSections(node, cluster, [
    kind('a', { ip: ['ip', '-j', 'addr'] }),
    kind('b', { ip: ['ip', '-j', 'addr'] }),
  ]);
  expect(sections).toHaveLength(1);
  expect(() =>
    factSections(node, cluster, [kind('a', { ip: ['ip', 'addr'] }), kind('b', { ip: ['ip', 'route'] })]),
  ).toThrow(/two different commands/);
  expect(() => factSections(node, cluster, [kind('a', { 'bad name': ['true'] })])).toThrow(/one word/);
});

test('truncated output is an error, not an empty fact', () => {
  const sections = factSections(node, cluster, [kind('a', { s: ['echo', 'x'] })]);
  const marker = newMarker();
  const full = sh(buildFactScript(sections, marker));
  expect(() => parseFacts(full.slice(0, full.indexOf(`${marker} end`)), sections, marker)).toThrow(/cut short/);
  expect(() => parseFacts(full.replace(`${marker} facts-done\n`, ''), sections, marker)).toThrow(/cut short/);
});
