/**
 * File facts shared by the file-writing resource kinds: a file's exact bytes or symlink as read from the node, the
 * change that makes it hold what is wanted (with its exact revert), and netstrap's managed blocks inside files the
 * user also edits (/etc/hosts, /etc/resolv.conf).
 */
import { type Fact, type FactBatch, type FactSet, fact } from '../fact';
import type { OwnedIds } from '../owned-ids';
import type { Change, Command, OwnedObject } from '../types';

/** A file netstrap writes whole, or its managed block inside a file the user also edits. */
export interface FileId {
  readonly part: 'file' | 'block';
  readonly path: string;
}

export const fileIds: OwnedIds<FileId> = {
  key: ({ part, path }) => `${part} ${path}`,
  read(key) {
    const match = /^(file|block) (\/.*)$/.exec(key);
    return match ? { part: match[1] as FileId['part'], path: match[2] } : undefined;
  },
};

/** A file as read from a node: its exact bytes (base64 on the wire, so nothing trims them) and whether it is a link. */
export interface FileFact {
  /** Content, or undefined when there is no regular file (or the link is dangling). */
  readonly content?: string;
  /** Target when the path is a symbolic link (e.g. resolv.conf → ../run/systemd/resolve/stub-resolv.conf). */
  readonly link?: string;
}

/** Section names are one word without '/' (the engine's fact script rule): `/etc/hosts` → `file:etc:hosts`. */
export function fileFactSection(path: string): string {
  return `file:${path.split('/').filter(Boolean).join(':')}`;
}

/** `link:<target>` for a symlink and `file:<base64>` for an existing file (nothing when absent) → the file. */
function parseFileOutput(output: string): FileFact {
  let content: string | undefined;
  let link: string | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith('link:')) link = line.slice('link:'.length);
    else if (line.startsWith('file:'))
      content = Buffer.from(line.slice('file:'.length).trim(), 'base64').toString('utf8');
  }
  return { content, link };
}

/** One file alone: `link:<target>` when a symlink, then `file:<base64>` when there is a file (through the link). */
const FILE_SNIPPET =
  'if [ -L "$1" ]; then printf "link:%s\\n" "$(readlink "$1")"; fi; if [ -f "$1" ]; then printf "file:"; base64 -w0 < "$1"; echo; fi; true';

/**
 * Every file of a node in one read, 3 processes whatever their number (`stat`, `cat`, `base64`; `readlink` for a
 * symlink): per path a line `file|none -|l:<target>`, then `sizes` and the sizes of the files that exist, then
 * `data` and their bytes, concatenated, in base64. The loop keeps the existing paths as "$@" (the `for` list is
 * fixed when it starts).
 */
const FILES_SNIPPET = [
  'for f; do shift',
  '  if [ -L "$f" ]; then l="l:$(readlink "$f")"; else l=-; fi',
  '  if [ -f "$f" ]; then set -- "$@" "$f"; printf "file %s\\n" "$l"; else printf "none %s\\n" "$l"; fi',
  'done',
  '[ $# -gt 0 ] || exit 0',
  'echo sizes; stat -L -c %s -- "$@"',
  'echo data; cat -- "$@" | base64 -w0; echo',
].join('\n');

/** The joint read → each path's output as FILE_SNIPPET prints it alone. Throws when a file changed while read. */
export function splitFiles(output: string, paths: ReadonlyArray<string>): string[] {
  const lines = output.split('\n');
  const heads = lines.slice(0, paths.length);
  const sizesAt = lines.indexOf('sizes', paths.length);
  const dataAt = lines.indexOf('data', paths.length);
  const present = heads.filter((h) => h.startsWith('file ')).length;
  const sizes = sizesAt < 0 ? [] : lines.slice(sizesAt + 1, dataAt).map(Number);
  const data = dataAt < 0 ? Buffer.alloc(0) : Buffer.from(lines[dataAt + 1] ?? '', 'base64');
  const whole =
    heads.length === paths.length &&
    heads.every((h) => /^(file|none) (-|l:)/.test(h)) &&
    sizes.length === present &&
    sizes.every((n) => Number.isInteger(n) && n >= 0) &&
    sizes.reduce((a, b) => a + b, 0) === data.length;
  if (!whole) throw new Error('the files read changed while they were read (or the read was cut short); run again');
  let offset = 0;
  return heads.map((head) => {
    const [kind, link] = [head.slice(0, 4), head.slice(5)];
    let text = link.startsWith('l:') ? `link:${link.slice(2)}\n` : '';
    if (kind === 'file') {
      const size = sizes.shift()!;
      text += `file:${data.subarray(offset, offset + size).toString('base64')}\n`;
      offset += size;
    }
    return text;
  });
}

/** splitFiles' inverse: the joint read that gives these per-file outputs (for replaying recorded facts in tests). */
export function joinFiles(outputs: ReadonlyArray<string>): string {
  const read = outputs.map((output) => {
    const link = /^link:(.*)$/m.exec(output)?.[1];
    const file = /^file:(.*)$/m.exec(output)?.[1];
    return { head: `${file === undefined ? 'none' : 'file'} ${link === undefined ? '-' : `l:${link}`}`, file };
  });
  const present = read.flatMap((r) => (r.file === undefined ? [] : [Buffer.from(r.file, 'base64')]));
  const heads = read.map((r) => `${r.head}\n`).join('');
  if (present.length === 0) return heads;
  return `${heads}sizes\n${present.map((b) => `${b.length}\n`).join('')}data\n${Buffer.concat(present).toString('base64')}\n`;
}

/** A file of the node: its bytes, or the target of the symlink it is, or nothing when absent. Read with the others. */
export function fileFact(path: string): Fact<FileFact> {
  const batch: FactBatch = { name: 'files', snippet: FILES_SNIPPET, arg: path, split: splitFiles };
  return fact(fileFactSection(path), ['sh', '-c', FILE_SNIPPET, 'sh', path], parseFileOutput, batch);
}

/** The file at `path` as the node's facts read it. */
export function readFileFact(facts: FactSet, path: string): FileFact {
  return facts.get(fileFact(path));
}

/** A unified diff of a file's old and new content (absent files diff as empty, under /dev/null). */
export function fileDiff(path: string, before: string | undefined, after: string | undefined): string {
  // Loaded on the first diff: a run without file changes (a no-op re-run) does not pay for its 19 modules.
  const { createTwoFilesPatch } = require('diff') as typeof import('diff');
  return createTwoFilesPatch(
    before === undefined ? '/dev/null' : path,
    after === undefined ? '/dev/null' : path,
    before ?? '',
    after ?? '',
    undefined,
    undefined,
    { context: 3 },
  );
}

/**
 * The change that makes `path` hold `desired` (or be absent when desired is undefined), and its exact revert:
 * the old bytes, the old symlink, or no file at all. Undefined when the file is already right.
 */
export function fileChange(
  kind: string,
  path: string,
  before: FileFact,
  desired: string | undefined,
  mode = '0644',
): Change | undefined {
  const present = before.content !== undefined || before.link !== undefined;
  if (desired === undefined && !present) return undefined;
  if (desired !== undefined && before.link === undefined && before.content === desired) return undefined;
  const describe = (f: FileFact) =>
    f.link !== undefined
      ? `symlink to ${f.link}`
      : f.content === undefined
        ? 'absent'
        : `${lineCount(f.content)} lines`;
  const revert: Command[] = [];
  if (before.link !== undefined) revert.push({ removeFile: path }, { argv: ['ln', '-s', before.link, path] });
  else if (before.content !== undefined) revert.push({ writeFile: path, content: before.content, mode });
  else revert.push({ removeFile: path });
  const apply: Command[] =
    desired === undefined
      ? [{ removeFile: path }]
      : before.link !== undefined
        ? [{ removeFile: path }, { writeFile: path, content: desired, mode }]
        : [{ writeFile: path, content: desired, mode }];
  return {
    kind,
    target: path,
    before: describe(before),
    after: desired === undefined ? 'absent' : `${lineCount(desired)} lines`,
    diff: fileDiff(path, before.content, desired),
    apply,
    revert,
  };
}

/** What a file was before netstrap first wrote it, as the ownership record keeps it (null: there was no file). */
export type FilePrior = null | { readonly content: string } | { readonly link: string };

export function filePrior(before: FileFact): FilePrior {
  return before.link !== undefined
    ? { link: before.link }
    : before.content !== undefined
      ? { content: before.content }
      : null;
}

function asFilePrior(prior: unknown): FilePrior | undefined {
  if (prior === null) return null;
  const p = prior as { content?: unknown; link?: unknown };
  if (typeof p?.link === 'string') return { link: p.link };
  if (typeof p?.content === 'string') return { content: p.content };
  return undefined;
}

/** Commands that put a file back as `prior` says it was. */
function restoreFile(path: string, prior: FilePrior, mode: string): Command[] {
  if (prior === null) return [{ removeFile: path }];
  if ('link' in prior) return [{ removeFile: path }, { argv: ['ln', '-s', prior.link, path] }];
  return [{ writeFile: path, content: prior.content, mode }];
}

/**
 * A whole file netstrap writes, owned as `file <path>`: written when desired (owned with its prior bytes, link or
 * absence); when no longer desired and owned, put back as it was before netstrap (removed when there was none);
 * when neither desired nor owned, never touched. `before` is undefined when the file was not read (its path is
 * known only from the record): the restore is then done without comparing.
 */
export function ownedFileChanges(
  kind: string,
  path: string,
  before: FileFact | undefined,
  desired: string | undefined,
  owned: ReadonlyArray<OwnedObject>,
  mode = '0644',
): Change[] {
  const id = fileIds.key({ part: 'file', path });
  if (desired !== undefined) {
    const change = fileChange(kind, path, before ?? {}, desired, mode);
    return change ? [{ ...change, owns: [{ kind, id, prior: filePrior(before ?? {}) }] }] : [];
  }
  const entry = owned.find((object) => object.id === id);
  if (!entry) return [];
  const prior = asFilePrior(entry.prior);
  if (prior === undefined) throw new Error(`ownership record: unreadable prior state of ${id}`);
  const release = { releases: [entry] };
  if (before === undefined) {
    return [
      {
        kind,
        target: path,
        before: 'written by netstrap',
        after: prior === null ? 'absent' : 'as before netstrap',
        apply: restoreFile(path, prior, mode),
        revert: [],
        ...release,
      },
    ];
  }
  const back: FileFact = prior === null ? {} : 'link' in prior ? { link: prior.link } : { content: prior.content };
  if (
    back.link !== undefined ? before.link === back.link : before.link === undefined && before.content === back.content
  ) {
    return [
      {
        kind,
        target: path,
        before: 'as before netstrap',
        after: 'as before netstrap',
        apply: [],
        revert: [],
        ...release,
      },
    ];
  }
  const change = prior !== null && 'content' in prior ? fileChange(kind, path, before, prior.content, mode) : undefined;
  return [
    {
      kind,
      target: path,
      before: before.content === undefined && before.link === undefined ? 'absent' : 'written by netstrap',
      after: prior === null ? 'absent' : 'as before netstrap',
      diff: change?.diff ?? fileDiff(path, before.content, back.content),
      apply: restoreFile(path, prior, mode),
      revert: restoreFile(path, filePrior(before), mode),
      ...release,
    },
  ];
}

function lineCount(text: string): number {
  return text === '' ? 0 : text.replace(/\n$/, '').split('\n').length;
}

// Managed blocks (/etc/hosts, /etc/resolv.conf)

export const BLOCK_BEGIN = '# BEGIN netstrap';
export const BLOCK_END = '# END netstrap';

/**
 * Checks the block markers of a file: at most one BEGIN, each followed by its END. A broken block is never
 * "repaired" by guessing where it ends (that deletes the user's lines): the file is refused, naming the line.
 */
export function checkBlockMarkers(path: string, content: string | undefined): void {
  let open: number | undefined;
  let blocks = 0;
  const refuse = (line: number, what: string): never => {
    throw new Error(
      `${path}: line ${line}: ${what}; netstrap leaves this file untouched until the markers are fixed by hand`,
    );
  };
  (content ?? '').split('\n').forEach((text, index) => {
    const line = index + 1;
    if (text === BLOCK_BEGIN) {
      if (open !== undefined) refuse(line, `second "${BLOCK_BEGIN}" (the one on line ${open} has no "${BLOCK_END}")`);
      if (blocks > 0) refuse(line, `second "${BLOCK_BEGIN}" block`);
      open = line;
    } else if (text === BLOCK_END) {
      if (open === undefined) refuse(line, `"${BLOCK_END}" without "${BLOCK_BEGIN}"`);
      open = undefined;
      blocks++;
    }
  });
  if (open !== undefined) refuse(open, `"${BLOCK_BEGIN}" without "${BLOCK_END}"`);
}

/** What a file was before netstrap first put its block in: none, a file, or a symlink (resolv.conf). */
type BlockPrior = { readonly file: 'absent' | 'present' } | { readonly link: string };

/**
 * The change that sets netstrap's block of `path` to `lines`, owned as `block <path>` with what the file was before.
 * With no lines: an owned block is removed (and an absent file or a symlink is put back when only that is left);
 * a block netstrap does not own is never touched. Broken markers refuse the file (checkBlockMarkers).
 */
export function managedBlockChanges(
  kind: string,
  path: string,
  before: FileFact,
  lines: ReadonlyArray<string>,
  where: 'top' | 'bottom',
  owned: ReadonlyArray<OwnedObject>,
): Change[] {
  checkBlockMarkers(path, before.content);
  const id = fileIds.key({ part: 'block', path });
  const entry = owned.find((object) => object.id === id);
  if (lines.length > 0) {
    const change = fileChange(kind, path, before, withManagedBlock(before.content, lines, where));
    const prior: BlockPrior =
      before.link !== undefined ? { link: before.link } : { file: before.content === undefined ? 'absent' : 'present' };
    return change ? [{ ...change, owns: [{ kind, id, prior }] }] : [];
  }
  if (!entry) return [];
  const prior = entry.prior as BlockPrior;
  const rest = withManagedBlock(before.content, [], where);
  const restored: string | undefined = 'link' in prior || (prior.file === 'absent' && rest === '') ? undefined : rest;
  const change =
    'link' in prior && before.link !== prior.link
      ? {
          ...fileChange(kind, path, before, undefined)!,
          apply: [{ removeFile: path }, { argv: ['ln', '-s', prior.link, path] }],
        }
      : fileChange(kind, path, before, restored);
  if (!change)
    return [
      {
        kind,
        target: path,
        before: 'no netstrap block',
        after: 'no netstrap block',
        apply: [],
        revert: [],
        releases: [entry],
      },
    ];
  return [{ ...change, after: 'link' in prior ? `symlink to ${prior.link}` : change.after, releases: [entry] }];
}

/**
 * Returns `content` with netstrap's managed block set to `lines` (removed when lines is empty). An existing block is
 * replaced where it stands; a new one goes at the top or the bottom. Every other line is kept byte for byte.
 */
export function withManagedBlock(
  content: string | undefined,
  lines: ReadonlyArray<string>,
  where: 'top' | 'bottom',
): string | undefined {
  const text = content ?? '';
  const block = lines.length === 0 ? '' : `${BLOCK_BEGIN}\n${lines.join('\n')}\n${BLOCK_END}\n`;
  const begin = text.indexOf(`${BLOCK_BEGIN}\n`);
  const endMarker = `${BLOCK_END}\n`;
  const end = begin < 0 ? -1 : text.indexOf(endMarker, begin);
  if (begin >= 0 && (begin === 0 || text[begin - 1] === '\n') && end >= 0) {
    return text.slice(0, begin) + block + text.slice(end + endMarker.length);
  }
  if (block === '') return content;
  if (where === 'top') return block + text;
  return text === '' || text.endsWith('\n') ? text + block : `${text}\n${block}`;
}
