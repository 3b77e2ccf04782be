/**
 * One problem found in user input: where it is (a field path) and what is wrong with it.
 * Every check in netstrap reports Issues instead of throwing, so that all of them can be listed at once.
 */
export interface Issue {
  /** Field path from the root of the input, e.g. ['network', 'podCidr'] or ['nodes', 0, 'routes', 1, 'via']. */
  readonly path: ReadonlyArray<string | number>;
  /** What is wrong, naming the offending value. */
  readonly message: string;
}

/** Renders a field path as `network.podCidr` or `nodes[0].routes[1].via`. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? '(root)' : out;
}

/** Quotes a value for an error message: strings in double quotes, everything else as JSON. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
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
  ) {
    super(issues.map((issue) => `${source}: ${formatPath(issue.path)}: ${issue.message}`).join('\n'));
    this.name = 'InputError';
  }

  /** The issues as the CLI prints them, one per line. */
  lines(): string[] {
    return this.issues.map((issue) => `${this.source}: ${formatPath(issue.path)}: ${issue.message}`);
  }
}

/** Prefixes the paths of issues found in a nested value. */
export function under(prefix: ReadonlyArray<string | number>, issues: ReadonlyArray<Issue>): Issue[] {
  return issues.map((issue) => ({ path: [...prefix, ...issue.path], message: issue.message }));
}

/** Throws an InputError when there are issues. */
export function throwIfAny(source: string, issues: ReadonlyArray<Issue>): void {
  if (issues.length > 0) throw new InputError(source, issues);
}
