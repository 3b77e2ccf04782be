/** A file write as the apply script runs it, by /bin/sh for real: exact bytes, exact mode, whatever was there. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderCommand } from '../../src/host/shell';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-write-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(file: string, content: string, mode?: string) {
  const script = renderCommand({ writeFile: file, content, ...(mode ? { mode } : {}) });
  return { script, run: spawnSync('sh', ['-s'], { input: script, encoding: 'utf8' }) };
}

test.each([
  ['quotes, $, backquotes, backslashes and no final newline', 'it\'s $HOME `id` \\n "x"\n\tlast', '0644'],
  ['a NUL byte (through base64)', 'a\0b\n', '0600'],
  ['an executable', '#!/bin/sh\necho hi\n', '0755'],
  ['empty', '', '0640'],
])('%s: written byte for byte with its mode, in a directory made for it', (_what, content, mode) => {
  const file = path.join(dir, 'new dir', 'f.conf');
  const { run } = write(file, content, mode);
  expect([run.status, run.stderr]).toEqual([0, '']);
  expect(fs.readFileSync(file)).toEqual(Buffer.from(content, 'utf8'));
  expect((fs.statSync(file).mode & 0o777).toString(8)).toBe(mode.slice(1));
  expect(fs.readdirSync(path.dirname(file))).toEqual(['f.conf']);
});

test('a temporary file left by a killed run does not keep its mode; only an executable mode starts chmod', () => {
  const file = path.join(dir, 'f');
  fs.writeFileSync(`${file}.netstrap-tmp`, 'stale', { mode: 0o777 });
  const { script, run } = write(file, 'new\n', '0644');
  expect(run.status).toBe(0);
  expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('644');
  expect(fs.readFileSync(file, 'utf8')).toBe('new\n');
  expect(script).not.toContain('chmod');
  expect(write(file, 'x', '0755').script).toContain('chmod 0755');
});

test('a write that fails leaves the target as it was', () => {
  const file = path.join(dir, 'ro', 'f');
  fs.mkdirSync(path.dirname(file));
  fs.writeFileSync(file, 'old');
  fs.mkdirSync(`${file}.netstrap-tmp`); // the temporary file cannot be created
  const { run } = write(file, 'new');
  expect(run.status).not.toBe(0);
  expect(fs.readFileSync(file, 'utf8')).toBe('old');
});
