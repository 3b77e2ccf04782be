/**
 * The one place where values become shell text. Every command netstrap sends to a host is an argv array (or a
 * file to write) and is rendered here; nothing else in netstrap builds command lines from strings.
 * Values have also been validated by the cluster-file schema before they get here (names, CIDRs, paths), so this
 * quoting is a second wall, not the only one.
 */

/** Quotes one argument for a POSIX shell: plain words stay as they are, everything else goes in single quotes. */
export function quoteArg(arg: string): string {
  if (arg === '') return "''";
  if (/^[A-Za-z0-9_\/.,:=+@%^-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Renders an argv array as one shell command line. */
export function quoteCommand(argv: ReadonlyArray<string>): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(quoteArg).join(' ');
}
