/**
 * Corefile text → model. A line-based reading of CoreDNS's Caddyfile syntax: `#` comments, double-quoted tokens,
 * a `{` that ends a line opens a block, a `}` alone on a line closes it. Every problem carries its line number.
 * Comments and blank lines are not kept.
 */
import { Corefile, DecodeProblem, Directive, fromDirective, Plugin, ServerBlock } from './model';
import { RenderStyle } from './render';
import { show } from '../errors';

/** Deepest nesting of blocks a Corefile may have (server block = 1; real ones use 3). */
export const MAX_BLOCK_DEPTH = 20;

/** A problem in Corefile text, at a 1-based line. */
export interface CorefileError {
  readonly line: number;
  readonly message: string;
}

export interface ParseResult {
  readonly corefile: Corefile;
  readonly errors: readonly CorefileError[];
  /** Line of each ServerBlock and Plugin object of `corefile`, for messages about them. */
  readonly lines: ReadonlyMap<object, number>;
  /** The indentation found in the text (render with it to get the same text back). */
  readonly style: Required<RenderStyle>;
}

interface Line {
  readonly no: number;
  readonly indent: number;
  readonly tokens: string[];
}

/** Splits one line into tokens; returns an error message for an unterminated quote. */
function tokenize(text: string): { tokens: string[]; error?: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i])) {
      i++;
      continue;
    }
    if (text[i] === '#') break;
    if (text[i] === '"') {
      let token = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && text[i + 1] === '"') {
          token += '"';
          i += 2;
        } else token += text[i++];
      }
      if (i >= text.length) return { tokens, error: 'unterminated quoted string' };
      i++;
      tokens.push(token);
      continue;
    }
    let token = '';
    while (i < text.length && !/\s/.test(text[i])) token += text[i++];
    tokens.push(token);
  }
  return { tokens };
}

const KEY = /^(?:([a-z][a-z0-9+.-]*):\/\/)?([^:]*)(?::(\d+))?$/;

/** Parses Corefile text. The model is returned even with errors (best effort), so that all errors can be shown. */
export function parseCorefile(text: string): ParseResult {
  const errors: CorefileError[] = [];
  const lines = new Map<object, number>();
  const directiveLines = new Map<Directive, number>();
  const style = { indent: 4, nestedIndent: 3 };
  let seenIndent = false;
  let seenNested = false;

  const all: Line[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const { tokens, error } = tokenize(raw);
    if (error) errors.push({ line: index + 1, message: error });
    if (tokens.length > 0) all.push({ no: index + 1, indent: raw.length - raw.trimStart().length, tokens });
  });

  // Reads the directives of a block until its closing brace; `opened` is the line that opened it.
  let pos = 0;
  let misplaced: { open: Line; close: Line } | undefined;
  let abandoned = false; // parsing stopped at a too-deep block: the open blocks above it are not "unclosed"
  const readBlock = (opened: Line, depth: number): Directive[] => {
    const out: Directive[] = [];
    while (pos < all.length) {
      const current = all[pos++];
      const { tokens } = current;
      if (tokens[0] === '}') {
        if (current.indent !== opened.indent && misplaced === undefined) misplaced = { open: opened, close: current };
        if (tokens.length > 1)
          errors.push({
            line: current.no,
            message: `unexpected ${show(tokens.slice(1).join(' '))} after "}": put it on its own line`,
          });
        return out;
      }
      if (depth === 1 && !seenIndent) {
        style.indent = current.indent;
        seenIndent = true;
      }
      if (depth === 2 && !seenNested) {
        style.nestedIndent = current.indent - style.indent;
        seenNested = true;
      }
      const opens = tokens[tokens.length - 1] === '{';
      const words = opens ? tokens.slice(0, -1) : tokens;
      const stray = words.findIndex((t) => t === '{' || t === '}');
      if (stray >= 0)
        errors.push({
          line: current.no,
          message: `unexpected "${words[stray]}" in the middle of a line: a block opens with "{" at the end of a line and closes with "}" on a line of its own`,
        });
      if (words.length === 0) {
        errors.push({ line: current.no, message: '"{" without a plugin or option name before it' });
        if (depth < MAX_BLOCK_DEPTH) readBlock(current, depth + 1);
        continue;
      }
      if (opens && depth >= MAX_BLOCK_DEPTH) {
        // Real Corefiles nest 3 levels; a deeper one is refused before the recursion can exhaust the stack.
        errors.push({ line: current.no, message: `blocks nest deeper than ${MAX_BLOCK_DEPTH} levels` });
        pos = all.length;
        abandoned = true;
        return out;
      }
      const directive: Directive = opens
        ? { name: words[0], args: words.slice(1), block: readBlock(current, depth + 1) }
        : { name: words[0], args: words.slice(1) };
      directiveLines.set(directive, current.no);
      out.push(directive);
    }
    // Brace counting alone blames the outermost block; indentation usually shows which "}" is really missing.
    const hint = misplaced
      ? ` (probably the "{" on line ${misplaced.open.no} is missing its "}": the "}" on line ${misplaced.close.no} is indented for an outer block)`
      : '';
    if (!abandoned)
      errors.push({
        line: opened.no,
        message: `unbalanced braces: the "{" on line ${opened.no} is never closed${hint}`,
      });
    return out;
  };

  const servers: ServerBlock[] = [];
  while (pos < all.length) {
    const current = all[pos++];
    const { tokens } = current;
    if (tokens[0] === '}') {
      errors.push({ line: current.no, message: 'unbalanced braces: this "}" closes no block' });
      continue;
    }
    if (tokens[tokens.length - 1] !== '{') {
      errors.push({
        line: current.no,
        message: `expected a server block such as ".:53 {", got ${show(tokens.join(' '))}`,
      });
      continue;
    }
    const keys = tokens
      .slice(0, -1)
      .map((k) => k.replace(/,$/, ''))
      .filter((k) => k !== '');
    const body = readBlock(current, 1);
    const address = serverAddress(keys, current.no, errors);
    if (!address) continue;
    const problems: DecodeProblem[] = [];
    const plugins: Plugin[] = body.map((d) => {
      const plugin = fromDirective(d, problems);
      lines.set(plugin, directiveLines.get(d) ?? current.no);
      return plugin;
    });
    for (const problem of problems)
      errors.push({ line: directiveLines.get(problem.at) ?? current.no, message: problem.message });
    const server: ServerBlock = { ...address, plugins };
    lines.set(server, current.no);
    servers.push(server);
  }
  if (servers.length === 0 && errors.length === 0)
    errors.push({ line: 1, message: 'the Corefile has no server block' });
  errors.sort((a, b) => a.line - b.line);
  return { corefile: { servers }, errors, lines, style };
}

/** The zones, port and scheme of a server block's keys (`[SCHEME://]ZONE[:PORT]`...), or undefined after an error. */
function serverAddress(
  keys: readonly string[],
  line: number,
  errors: CorefileError[],
): Pick<ServerBlock, 'zones' | 'port' | 'scheme'> | undefined {
  if (keys.length === 0) {
    errors.push({
      line,
      message: 'missing zone: a server block starts with its zones, e.g. ".:53 {" or "example.org:53 {"',
    });
    return undefined;
  }
  const parsed = keys.map((key) => ({ key, match: KEY.exec(key) }));
  const bad = parsed.find((p) => !p.match || p.match[2] === '');
  if (bad) {
    errors.push({
      line,
      message: `invalid server key ${show(bad.key)}: expected [SCHEME://]ZONE[:PORT], e.g. "example.org:53"`,
    });
    return undefined;
  }
  const schemes = new Set(parsed.map((p) => p.match![1]));
  const ports = new Set(parsed.map((p) => p.match![3]));
  if (schemes.size > 1 || ports.size > 1) {
    errors.push({
      line,
      message: `the keys ${keys.join(' ')} mix schemes or ports: write one server block per scheme and port`,
    });
    return undefined;
  }
  const [scheme] = [...schemes];
  const [port] = [...ports];
  return {
    zones: parsed.map((p) => p.match![2]),
    ...(port !== undefined ? { port: Number(port) } : {}),
    ...(scheme !== undefined ? { scheme } : {}),
  };
}
