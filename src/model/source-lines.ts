/**
 * The line of a field path in a YAML (or JSON) text, for messages `file:LINE: path: message`. Nothing is done until
 * an issue asks for a line, so a file without issues is parsed once: the first question parses the text again with
 * js-yaml (the reader of ./yaml.ts, so the same documents), recording where each mapping and sequence starts and
 * ends; the smallest of them holding the field is then read with `yaml`, which gives each key and item its own
 * position.
 *
 * Which line a path gets: the line of its key (or sequence item); a key the file does not have (a defaulted one) takes
 * the line of the nearest parent it has; a node's key taken from `nodeDefaults` takes the default's line (where the
 * value is written); a value reached through an alias takes the anchor's lines (js-yaml's core schema has no merge
 * keys, so `<<` is an unknown key like any other).
 */
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { Issue } from './errors';

type Path = ReadonlyArray<string | number>;

/** The line (1-based) of a field path, or undefined when the path is the root or the text is not known. */
export type LineOf = (path: Path) => number | undefined;

/** Offsets in the text of one mapping or sequence: `start` where js-yaml began reading it, `end` after it. */
interface Span {
  readonly start: number;
  readonly end: number;
}

interface Parsed {
  /** The non-empty documents, as ./yaml.ts's readers keep them. */
  readonly documents: unknown[];
  readonly spans: Map<object, Span>;
  /** Offset of the first character of each line. */
  readonly lineStarts: number[];
  /** The keys and items of a mapping or sequence, read once with `yaml`: key or index → line. */
  readonly entries: Map<object, Map<string, number>>;
}

/** Where the fields of a text are; parses it only when first asked. */
export class SourceLines {
  private parsed?: Parsed | null;

  constructor(private readonly text: string) {}

  /** The lines of the `index`-th non-empty document (0-based); paths start at `prefix` inside it (a List's item). */
  document(index: number, prefix: Path = []): LineOf {
    return (path) => this.lineOf(index, [...prefix, ...path]);
  }

  /** Issues with the line of their path in the first document. */
  locate<T extends Issue>(issues: ReadonlyArray<T>): T[] {
    return withLines(issues, this.document(0));
  }

  private lineOf(index: number, path: Path): number | undefined {
    if (path.length === 0) return undefined;
    const parsed = this.parse();
    if (!parsed) return undefined;
    const root = parsed.documents[index];
    return this.walk(parsed, root, nodeDefaultsPath(root, path));
  }

  /** The line of the key (or item) at the end of `path`, or of the nearest parent the text has. */
  private walk(parsed: Parsed, root: unknown, path: Path): number | undefined {
    let value = root;
    let line: number | undefined;
    for (const step of path) {
      const span = isObject(value) ? parsed.spans.get(value) : undefined;
      if (!span || !isObject(value)) return line;
      const key = String(step);
      const own = Array.isArray(value) ? typeof step === 'number' && step < value.length : Object.hasOwn(value, key);
      const child = own ? (value as Record<string, unknown>)[key] : undefined;
      const childSpan = isObject(child) ? parsed.spans.get(child) : undefined;
      // A mapping or sequence read in place starts on the line of its key or item; anything else (a scalar, an
      // alias, a key the file lacks) is looked up among the entries of its parent.
      if (childSpan && childSpan.start >= span.start && childSpan.start < span.end) {
        line = lineAt(parsed.lineStarts, childSpan.start);
      } else {
        const entries = this.entries(parsed, value, span);
        const entry = entries.get(key);
        if (entry === undefined) return line;
        line = entry;
      }
      if (!childSpan) return line;
      value = child;
    }
    return line;
  }

  /**
   * Key or index → line of the entries of one mapping or sequence, read with `yaml` from its own text: what precedes
   * it on its first line is blanked (so it keeps its column), and each nested mapping or sequence read in place is
   * cut down to a stand-in value and its line breaks (so the root of a 10 MB file is read in milliseconds).
   */
  private entries(parsed: Parsed, value: object, span: Span): Map<string, number> {
    const known = parsed.entries.get(value);
    if (known) return known;
    const out = new Map<string, number>();
    parsed.entries.set(value, out);
    const firstLine = lineAt(parsed.lineStarts, span.start);
    const children = Object.values(value)
      .map((child) => (isObject(child) ? parsed.spans.get(child) : undefined))
      .filter((s): s is Span => s !== undefined && s.start >= span.start && s.end <= span.end && s !== span)
      .sort((a, b) => a.start - b.start);
    // The snippet's lines are fewer than the text's: realLine[i] is the line in the text of the snippet's line i + 1.
    let snippet = ' '.repeat(span.start - parsed.lineStarts[firstLine - 1]);
    const realLine = [firstLine];
    const copy = (part: string) => {
      snippet += part;
      for (let i = part.indexOf('\n'); i >= 0; i = part.indexOf('\n', i + 1))
        realLine.push(realLine[realLine.length - 1] + 1);
    };
    let from = span.start;
    for (const child of children) {
      if (child.start < from) continue;
      copy(this.text.slice(from, child.start));
      const inner = this.text.slice(child.start, child.end);
      const lastBreak = inner.lastIndexOf('\n');
      snippet += ' 0';
      if (lastBreak >= 0) {
        // One line break stands for all of the child's; the indentation after its last one is kept.
        snippet += `\n${' '.repeat(inner.length - lastBreak - 1)}`;
        realLine.push(realLine[realLine.length - 1] + countBreaks(inner));
      }
      from = child.end;
    }
    copy(this.text.slice(from, span.end));
    const counter = new LineCounter();
    let node: unknown;
    try {
      node = parseDocument(snippet, { uniqueKeys: false, strict: false, lineCounter: counter }).contents;
    } catch {
      return out;
    }
    const lineOf = (n: unknown) => {
      const range = (n as Node | null)?.range;
      return range ? realLine[counter.linePos(range[0]).line - 1] : undefined;
    };
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        const line = lineOf(pair.key) ?? lineOf(pair.value);
        if (key !== undefined && line !== undefined && !out.has(key)) out.set(key, line);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const line = lineOf(item);
        if (line !== undefined) out.set(String(i), line);
      });
    }
    return out;
  }

  private parse(): Parsed | undefined {
    if (this.parsed !== undefined) return this.parsed ?? undefined;
    const spans = new Map<object, Span>();
    const opened: number[] = [];
    let documents: unknown[];
    try {
      documents = loadAll(this.text, undefined, {
        schema: CORE_SCHEMA,
        listener(event, state) {
          if (event === 'open') {
            opened.push(state.position);
            return;
          }
          const start = opened.pop() ?? 0;
          // The first node to close with an object is the one that read it (later ones are aliases of it).
          const result: unknown = state.result;
          if (isObject(result) && !spans.has(result)) spans.set(result, { start, end: state.position });
        },
      }).filter((doc) => doc !== null && doc !== undefined);
    } catch {
      this.parsed = null;
      return undefined;
    }
    const lineStarts = [0];
    for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    this.parsed = { documents, spans, lineStarts, entries: new Map() };
    return this.parsed;
  }
}

function countBreaks(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Issues with the line of their path added by `lineOf` (those with no path, or a line already, as they are). */
export function withLines<T extends Issue>(issues: ReadonlyArray<T>, lineOf: LineOf | undefined): T[] {
  if (!lineOf) return [...issues];
  return issues.map((issue) => {
    if (issue.line !== undefined || issue.path.length === 0) return issue;
    const line = lineOf(issue.path);
    return line === undefined ? issue : { ...issue, line };
  });
}

/**
 * `nodes[i].KEY…` of a node that does not set KEY itself but `nodeDefaults` does is `nodeDefaults.KEY…`: the value
 * is written there (src/model/load.ts applies the defaults the same way).
 */
function nodeDefaultsPath(root: unknown, path: Path): Path {
  if (path.length < 3 || path[0] !== 'nodes' || typeof path[1] !== 'number' || !isObject(root)) return path;
  const { nodes, nodeDefaults } = root as { nodes?: unknown; nodeDefaults?: unknown };
  if (!Array.isArray(nodes) || !isObject(nodeDefaults) || Array.isArray(nodeDefaults)) return path;
  const node = nodes[path[1]];
  const key = String(path[2]);
  if (!isObject(node) || Array.isArray(node) || Object.hasOwn(node, key) || !Object.hasOwn(nodeDefaults, key))
    return path;
  return ['nodeDefaults', ...path.slice(2)];
}

/** The 1-based line of an offset. */
function lineAt(lineStarts: readonly number[], offset: number): number {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lineStarts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}
