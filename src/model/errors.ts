/**
 * One problem found in user input: where it is (a field path) and what is wrong with it.
 * Every check in netstrap reports Issues instead of throwing, so that all of them can be listed at once.
 */
export interface Issue {
  /** Field path from the root of the input, e.g. ['network', 'podCidr'] or ['nodes', 0, 'routes', 1, 'via']. */
  readonly path: ReadonlyArray<string | number>;
  /** What is wrong, naming the offending value. */
  readonly message: string;
  /** 'warning': accepted (the API server would take it) but surely a mistake; printed, never fatal. Absent: an error. */
  readonly severity?: 'warning';
  /**
   * Line (1-based) of `path` in the file the issue is about, when its text is known (src/model/source-lines.ts):
   * printed in the file part, `file:LINE: path: message`.
   */
  readonly line?: number;
}

/** The issues that are errors (no severity): what makes input invalid. */
export function errorsOf<T extends Issue>(issues: ReadonlyArray<T>): T[] {
  return issues.filter((issue) => issue.severity !== 'warning');
}

/** The issues that are warnings. */
export function warningsOf<T extends Issue>(issues: ReadonlyArray<T>): T[] {
  return issues.filter((issue) => issue.severity === 'warning');
}

/** Renders a field path as `network.podCidr` or `nodes[0].routes[1].via`. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part) && part.length <= MAX_ECHO) out += out === '' ? part : `.${part}`;
    else out += `[${show(part)}]`;
  }
  return out === '' ? '(root)' : out;
}

/** Longest text of a value an error message echoes: a hostile value must not turn into a megabyte message. */
export const MAX_ECHO = 100;

/**
 * Quotes a value for an error message: strings in double quotes, numbers as YAML writes the special ones
 * (.inf, -.inf, .nan), everything else as JSON; cut to about {@link MAX_ECHO} characters.
 */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value.length > MAX_ECHO ? value.slice(0, MAX_ECHO) : value);
  else if (typeof value === 'number' && !Number.isFinite(value))
    text = Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
  else if (value === undefined) text = 'undefined';
  else if (typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function') text = String(value);
  else text = jsonPrefix(value);
  if (typeof value === 'string' && value.length > MAX_ECHO)
    return `${text.slice(0, -1)}…" (${value.length} characters)`;
  return text.length > MAX_ECHO + 2 ? `${text.slice(0, MAX_ECHO)}… (cut)` : text;
}

/** JSON of a value, but never more than a few times MAX_ECHO characters of work (aliases can make it huge). */
function jsonPrefix(value: unknown): string {
  let budget = MAX_ECHO * 4;
  const seen = new Set<object>();
  try {
    return (
      JSON.stringify(value, (_key, v: unknown) => {
        budget -= 1;
        if (budget < 0) throw new RangeError('cut');
        if (typeof v === 'number' && !Number.isFinite(v)) return show(v);
        if (typeof v === 'string' && v.length > MAX_ECHO) return v.slice(0, MAX_ECHO);
        if (v !== null && typeof v === 'object') {
          if (seen.has(v)) return '[circular]';
          seen.add(v);
        }
        return v;
      }) ?? String(value)
    );
  } catch {
    return Array.isArray(value) ? `[… ${value.length} items]` : '{…}';
  }
}

/** Most issues printed for one input: a file with thousands of errors gets the first ones and a count. */
export const MAX_LINES = 50;

/**
 * `file: path: message`, or `file:LINE: path: message` when the issue has a line; `detail` (which document of a
 * manifest file, which object) follows the file part in parentheses: `file:LINE (document 2, Kind ns/name): …`.
 */
function printed(source: string, issues: ReadonlyArray<Issue>, prefix = '', detail?: string): string[] {
  const where = (line: number | undefined) =>
    `${source}${line === undefined ? '' : `:${line}`}${detail === undefined ? '' : ` (${detail})`}`;
  // One issue, one line: a control character a message took from the input is shown escaped.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point here.
  const oneLine = (text: string) => text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  const lines = issues
    .slice(0, MAX_LINES)
    .map((issue) => oneLine(`${prefix}${where(issue.line)}: ${formatPath(issue.path)}: ${issue.message}`));
  if (issues.length > MAX_LINES)
    lines.push(
      `${prefix}${where(undefined)}: (root): ${issues.length - MAX_LINES} more issues not shown; fix the ones above first`,
    );
  return lines;
}

/**
 * The warnings among `issues` as printed on stderr (never stdout, so `--json` output stays pure JSON):
 * `warning: file:LINE: path: message`, or for a manifest `warning: file:LINE (document N, Kind ns/name): path:
 * message` (`:LINE` when the issue has one).
 */
export function warningLines(source: string, issues: ReadonlyArray<Issue>, detail?: string): string[] {
  const warnings = warningsOf(issues);
  return warnings.length === 0 ? [] : printed(source, warnings, 'warning: ', detail);
}

/**
 * Invalid input. Thrown before anything is written or any connection is made; the CLI prints each issue as
 * `file: path.to.field: message` and exits with code 2.
 */
export class InputError extends Error {
  constructor(
    /** The file the issues are about, or a label such as `NetworkPolicy "db"` for construct props. */
    readonly source: string,
    readonly issues: ReadonlyArray<Issue>,
    /** Which part of the file, printed after it in parentheses: `document 2, NetworkPolicy ns/name`. */
    readonly detail?: string,
  ) {
    super(printed(source, issues, '', detail).join('\n'));
    this.name = 'InputError';
  }

  /** The issues as the CLI prints them, one per line (at most {@link MAX_LINES}, then how many more there are). */
  lines(): string[] {
    return printed(this.source, this.issues, '', this.detail);
  }
}

/** Prefixes the paths of issues found in a nested value. */
export function under(prefix: ReadonlyArray<string | number>, issues: ReadonlyArray<Issue>): Issue[] {
  return issues.map((issue) => ({ ...issue, path: [...prefix, ...issue.path] }));
}

/** Throws an InputError when there are errors among the issues; warnings never throw (see {@link warningLines}). */
export function throwIfAny(source: string, issues: ReadonlyArray<Issue>): void {
  const errors = errorsOf(issues);
  if (errors.length > 0) throw new InputError(source, errors);
}
