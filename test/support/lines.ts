/**
 * Test oracle for `file:LINE: path: message`: where the `yaml` package (a full parse, not netstrap's two-step
 * reader in src/model/source-lines.ts) finds a field path in a text: the line of its key or item, or of the nearest
 * parent the text has.
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

/** `nodes[0].routes[1].via` or `a["b/c"]` → its parts. */
export function pathParts(text: string): Array<string | number> {
  const parts: Array<string | number> = [];
  for (const m of text.matchAll(/\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|\.?([^.[\]]+)/g)) {
    if (m[1] !== undefined) parts.push(JSON.parse(`"${m[1]}"`));
    else if (m[2] !== undefined) parts.push(Number(m[2]));
    else parts.push(m[3]);
  }
  return parts;
}

/** The line of `path` in the first document of `text` (undefined for the root). */
export function lineOfPath(text: string, path: ReadonlyArray<string | number>): number | undefined {
  const counter = new LineCounter();
  let node: unknown = parseDocument(text, { lineCounter: counter }).contents;
  let line: number | undefined;
  const lineAt = (n: unknown) => counter.linePos((n as Node).range![0]).line;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) return line;
      line = lineAt(pair.key);
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number' && step < node.items.length) {
      line = lineAt(node.items[step]);
      node = node.items[step];
    } else return line;
  }
  return line;
}

/**
 * `file: path: message` (optionally after `warning: `) with the line of `path` in `text` added: `file:LINE: path:
 * message`. Lines of other files are returned as they are.
 */
export function withLine(file: string, text: string): (printed: string) => string {
  return (printed) => {
    const prefix = printed.startsWith('warning: ') ? 'warning: ' : '';
    const rest = printed.slice(prefix.length);
    if (!rest.startsWith(`${file}: `)) return printed;
    const after = rest.slice(file.length + 2);
    const path = after.slice(0, after.indexOf(': '));
    const line = path === '(root)' ? undefined : lineOfPath(text, pathParts(path));
    return line === undefined ? printed : `${prefix}${file}:${line}: ${after}`;
  };
}

/**
 * For tests about messages: asserts that a printed `file:LINE: path: message` carries the line {@link withLine}
 * finds for its path in `text`, and returns it as `file: path: message`.
 */
export function checkedLine(file: string, text: string): (printed: string) => string {
  return (printed) => {
    const prefix = printed.startsWith('warning: ') ? 'warning: ' : '';
    const match = /^(:\d+)?: /.exec(printed.slice(prefix.length + file.length));
    if (!printed.startsWith(`${prefix}${file}`) || !match) return printed;
    const bare = `${prefix}${file}: ${printed.slice(prefix.length + file.length + match[0].length)}`;
    expect(printed).toBe(withLine(file, text)(bare));
    return bare;
  };
}
