/** The fact script, run for real by /bin/sh: sections come back byte for byte, missing things read as empty. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildFactScript, factSections, newMarker, parseFacts } from '../../src/host/fact-script';
import { FactSet, type FactReader } from '../../src/host/fact';
import { fileFact } from '../../src/host/resources/file-facts';
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

test('files are read by one command (one base64), and each section holds what its own command prints alone', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-files-'));
  try {
    fs.writeFileSync(path.join(dir, 'text'), 'a\nb');
    fs.writeFileSync(path.join(dir, 'empty'), '');
    fs.writeFileSync(path.join(dir, 'bytes'), Buffer.from([0, 255, 10, 13, 0]));
    fs.symlinkSync('text', path.join(dir, 'link'));
    fs.symlinkSync('nowhere', path.join(dir, 'dangling'));
    const paths = ['text', 'missing', 'empty', 'link', 'bytes', 'dangling'].map((f) => path.join(dir, f));
    const facts = paths.map((p) => fileFact(p));
    const sections = factSections(node, cluster, [{ facts: () => facts }]);
    const marker = newMarker();
    const script = buildFactScript(sections, marker);
    expect(script.match(/base64/g)).toHaveLength(1);
    const together = parseFacts(sh(script), sections, marker);
    // Each file alone, by its section's own argv (what the sections held before files were read together).
    const alone = Object.fromEntries(
      sections.map((s) => [s.name, spawnSync(s.argv[0], s.argv.slice(1), { encoding: 'utf8' }).stdout]),
    );
    expect(together).toEqual(alone);
    const read = (p: string) => new FactSet(together).get(fileFact(p));
    expect(read(paths[0])).toEqual({ content: 'a\nb' });
    expect(read(paths[1])).toEqual({});
    expect(read(paths[2])).toEqual({ content: '' });
    expect(read(paths[3])).toEqual({ content: 'a\nb', link: 'text' });
    expect(Buffer.from(read(paths[4]).content!, 'utf8')).toEqual(
      Buffer.from(Buffer.from([0, 255, 10, 13, 0]).toString('utf8')),
    );
    expect(read(paths[5])).toEqual({ link: 'nowhere' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that changes between its size and its bytes is an error, not a wrong content', () => {
  const sections = factSections(node, cluster, [{ facts: () => [fileFact('/a'), fileFact('/b')] }]);
  const marker = newMarker();
  const output = (data: string) =>
    `${marker} fact files\nfile -\nfile -\nsizes\n1\n2\ndata\n${data}\n\n${marker} end\n${marker} facts-done\n`;
  expect(parseFacts(output(Buffer.from('abc').toString('base64')), sections, marker)).toEqual({
    'file:a': `file:${Buffer.from('a').toString('base64')}\n`,
    'file:b': `file:${Buffer.from('bc').toString('base64')}\n`,
  });
  expect(() => parseFacts(output(Buffer.from('abcd').toString('base64')), sections, marker)).toThrow(/changed/);
});
