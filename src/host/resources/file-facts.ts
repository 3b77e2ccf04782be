/**
 * File facts shared by the file-writing resource kinds: a file's exact bytes or symlink as read from the node, the
 * change that makes it hold what is wanted (with its exact revert), and netstrap's managed blocks inside files the
 * user also edits (/etc/hosts, /etc/resolv.conf).
 */
import { createTwoFilesPatch } from 'diff';
import type { Change, Command, RawFacts } from '../types';

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

/** Prints `link:<target>` for a symlink and `file:<base64>` for an existing file; nothing when absent. */
export function fileFact(path: string): Record<string, string[]> {
  return {
    [fileFactSection(path)]: ['sh', '-c',
      'if [ -L "$1" ]; then printf "link:%s\\n" "$(readlink "$1")"; fi; if [ -f "$1" ]; then printf "file:"; base64 -w0 < "$1"; echo; fi; true',
      'sh', path],
  };
}

export function parseFileFact(facts: RawFacts, path: string): FileFact {
  const raw = facts[fileFactSection(path)] ?? '';
  let content: string | undefined;
  let link: string | undefined;
  for (const line of raw.split('\n')) {
    if (line.startsWith('link:')) link = line.slice('link:'.length);
    else if (line.startsWith('file:')) content = Buffer.from(line.slice('file:'.length).trim(), 'base64').toString('utf8');
  }
  return { content, link };
}

/** A unified diff of a file's old and new content (absent files diff as empty, under /dev/null). */
export function fileDiff(path: string, before: string | undefined, after: string | undefined): string {
  return createTwoFilesPatch(before === undefined ? '/dev/null' : path, after === undefined ? '/dev/null' : path,
    before ?? '', after ?? '', undefined, undefined, { context: 3 });
}

/**
 * The change that makes `path` hold `desired` (or be absent when desired is undefined), and its exact revert:
 * the old bytes, the old symlink, or no file at all. Undefined when the file is already right.
 */
export function fileChange(kind: string, path: string, before: FileFact, desired: string | undefined, mode = '0644'): Change | undefined {
  const present = before.content !== undefined || before.link !== undefined;
  if (desired === undefined && !present) return undefined;
  if (desired !== undefined && before.link === undefined && before.content === desired) return undefined;
  const describe = (f: FileFact) => (f.link !== undefined ? `symlink to ${f.link}` : f.content === undefined ? 'absent' : `${lineCount(f.content)} lines`);
  const revert: Command[] = [];
  if (before.link !== undefined) revert.push({ removeFile: path }, { argv: ['ln', '-s', before.link, path] });
  else if (before.content !== undefined) revert.push({ writeFile: path, content: before.content, mode });
  else revert.push({ removeFile: path });
  const apply: Command[] = desired === undefined
    ? [{ removeFile: path }]
    : before.link !== undefined ? [{ removeFile: path }, { writeFile: path, content: desired, mode }] : [{ writeFile: path, content: desired, mode }];
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

function lineCount(text: string): number {
  return text === '' ? 0 : text.replace(/\n$/, '').split('\n').length;
}

// Managed blocks (/etc/hosts, /etc/resolv.conf)

export const BLOCK_BEGIN = '# BEGIN netstrap';
export const BLOCK_END = '# END netstrap';

/**
 * Returns `content` with netstrap's managed block set to `lines` (removed when lines is empty). An existing block is
 * replaced where it stands; a new one goes at the top or the bottom. Every other line is kept byte for byte.
 */
export function withManagedBlock(content: string | undefined, lines: ReadonlyArray<string>, where: 'top' | 'bottom'): string | undefined {
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
