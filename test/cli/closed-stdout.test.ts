/**
 * Issue 25, item 6: `netstrap <command> … | head -1` never prints `Error: write EPIPE` or a stack: every command that
 * prints ends quietly when its reader goes away, with the exit status it has with an open stdout. Commands that need
 * nodes run here against one whose sshd cannot be reached (they still print their report); the same commands against
 * real lab nodes, and the lab commands, are in closed-stdout.lab.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { netstrapPiped, stackOrEpipe } from '../support/closed-stdout';
import { fixture, repoRoot } from '../support/lab';
import { netstrapAsync } from '../host/lab-support';
import { tempDirs } from '../support/temp';

const example = path.join(repoRoot, 'hosts', 'example.yaml');
const netpol = fixture('netpol-cluster.yaml');
const tempDir = tempDirs();

/** A node whose sshd refuses connections (127.0.0.1 port 1): plan, bootstrap … report it unreachable, exit 1. */
function unreachableCluster(): string {
  const file = path.join(tempDir('netstrap-epipe-'), 'c.yaml');
  fs.writeFileSync(
    file,
    [
      'name: epipe',
      'network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }',
      'nodes:',
      '  - { name: n1, ssh: { host: 127.0.0.1, port: 1 } }',
      '  - { name: n2, ssh: { host: 127.0.0.1, port: 1 } }',
      '',
    ].join('\n'),
  );
  return file;
}

const offline: ReadonlyArray<readonly string[]> = [
  ['--help'],
  ['validate', example],
  ['schema'],
  ['synth', example, '--stdout'],
  ['synth', example, '-o', 'SYNTH_DIR'],
  ['trace', fixture('i12-pods.yaml'), 'node01/web', 'node03/web:80'],
  ['trace', fixture('i12-pods.yaml'), 'r1', '8.8.8.8', '--json'],
  ['netpol', 'list', netpol],
  ['netpol', 'matrix', netpol, '--port', '5432'],
  ['netpol', 'can', netpol, '--from', 'ops/debug', '--to', 'shop/db', '--port', '5432', '--explain'],
  ['netpol', 'diff', netpol, example],
  ['graph', example],
  ['graph', netpol, '--netpol', '--format', 'mermaid'],
];
const hostCommands = ['plan', 'verify', 'bootstrap', 'reset', 'diagnose'];

describe('a closed stdout ends every command quietly (issue 25)', () => {
  const cases = [
    ...offline,
    ...hostCommands.map((command) => [command, 'UNREACHABLE', '--ssh-config', '/dev/null'] as const),
  ];
  test.each(cases.map((args) => [args.join(' '), args] as const))('netstrap %s', async (_name, args) => {
    const argv = args.map((arg) =>
      arg === 'UNREACHABLE' ? unreachableCluster() : arg === 'SYNTH_DIR' ? tempDir('netstrap-epipe-synth-') : arg,
    );
    const open = await netstrapAsync(argv);
    // Each command prints something on stdout, so that its reader can go away.
    expect(open.stdout).not.toBe('');
    for (const reader of ['closed', 'head'] as const) {
      const piped = await netstrapPiped(argv, reader);
      expect({ reader, status: piped.status, stack: stackOrEpipe(piped.stderr) }).toEqual({
        reader,
        status: open.status,
        stack: [],
      });
      if (reader === 'head') expect(piped.stdout).toBe(`${open.stdout.split('\n')[0]}\n`);
    }
  });

  test('errors on stderr with stderr closed too (2>&1 | true): the exit status stays 2', async () => {
    const lines = Array.from({ length: 80 }, (_, i) => `  - { name: n${i}, ssh: { host: 0x0a.0.0.${i} } }`);
    const file = path.join(tempDir('netstrap-epipe-'), 'bad.yaml');
    fs.writeFileSync(
      file,
      ['name: bad', 'network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }', 'nodes:', ...lines, ''].join(
        '\n',
      ),
    );
    for (const args of [
      ['validate', file],
      ['plan', file],
      ['synth', file, '--stdout'],
    ]) {
      const piped = await netstrapPiped(args, 'both-closed');
      expect([args[0], piped.status]).toEqual([args[0], 2]);
    }
  });
});
