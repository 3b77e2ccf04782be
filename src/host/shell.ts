/**
 * The one place where values become shell text. Every command netstrap sends to a host is an argv array (or a
 * file to write) and is rendered here; nothing else in netstrap builds command lines from strings.
 * Values have also been validated by the cluster-file schema before they get here (names, CIDRs, paths), so this
 * quoting is a second wall, not the only one.
 */
import type { Command } from './types';

/** Quotes one argument for a POSIX shell: plain words stay as they are, everything else goes in single quotes. */
export function quoteArg(arg: string): string {
  if (arg === '') return "''";
  if (/^[A-Za-z0-9_/.,:=+@%^-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Renders an argv array as one shell command line. */
export function quoteCommand(argv: ReadonlyArray<string>): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(quoteArg).join(' ');
}

/** File modes netstrap writes: octal permission bits only. */
const FILE_MODE = /^0?[0-7]{3}$/;

/**
 * Renders one Command as one shell command line.
 * - argv: quoted word by word.
 * - writeFile: the content is written by the shell's own printf (quoted here like every argument; as base64 through
 *   `base64 -d` for content holding a NUL byte, which no shell word can, and when printf's write failed) into a temporary file next to the
 *   target, created with its mode by a umask (`chmod` only for an executable mode, which a umask cannot give), and
 *   renamed over the target, so a reader never sees a half-written file. The parent directory is created when
 *   missing (and left in place by a revert). Every process started on a node costs it milliseconds of CPU: a write
 *   starts one (`mv`) where it started three.
 * - removeFile: `rm -f`, so removing an absent file is not an error.
 */
export function renderCommand(command: Command): string {
  if ('argv' in command) return quoteCommand(command.argv);
  if ('writeFile' in command) {
    const file = checkPath(command.writeFile);
    const mode = command.mode ?? '0644';
    if (!FILE_MODE.test(mode)) throw new Error(`invalid file mode ${JSON.stringify(mode)} for ${file}`);
    const dir = file.slice(0, file.lastIndexOf('/')) || '/';
    const tmp = quoteArg(`${file}.netstrap-tmp`);
    const bits = Number.parseInt(mode, 8);
    // A new file is created 0666 less the umask: any mode without an execute bit is a umask's.
    const executable = (bits & 0o111) !== 0;
    const umask = (executable ? 0o022 : ~bits & 0o777).toString(8).padStart(3, '0');
    const decode = `${quoteCommand(['printf', '%s', Buffer.from(command.content, 'utf8').toString('base64')])} | base64 -d > ${tmp}`;
    // dash's printf says only "I/O error" when a write fails: then base64 -d writes it again and names the cause
    // (No space left on device), which is what a user needs to read.
    const write = command.content.includes('\0')
      ? decode
      : `{ ${quoteCommand(['printf', '%s', command.content])} > ${tmp} 2>/dev/null || ${decode}; }`;
    // A write that fails half-way (disk full, read-only file system) leaves no temporary file behind; a temporary
    // file left by a run that was killed is removed first, since the new one must be created with its mode.
    return `{ ${[
      `{ [ -d ${quoteArg(dir)} ] || ${quoteCommand(['mkdir', '-p', dir])}; }`,
      `{ [ ! -e ${tmp} ] || rm -f ${tmp}; }`,
      `( umask ${umask} && ${write} )`,
      ...(executable ? [`chmod ${mode} ${tmp}`] : []),
      `mv -f ${tmp} ${quoteArg(file)}`,
    ].join(' && ')} || { rm -f ${tmp}; false; }; }`;
  }
  return quoteCommand(['rm', '-f', checkPath(command.removeFile)]);
}

/** A short human-readable form of a Command for plans and reports (file contents are shown as diffs instead). */
export function describeCommand(command: Command): string {
  if ('argv' in command) return quoteCommand(command.argv);
  if ('writeFile' in command)
    return `write ${command.writeFile} (${Buffer.byteLength(command.content)} bytes, mode ${command.mode ?? '0644'})`;
  return `remove ${command.removeFile}`;
}

function checkPath(file: string): string {
  // The schema already restricts managed paths; this guards resource-kind code against building a bad one.
  if (!file.startsWith('/') || file.endsWith('/') || file.split('/').includes('..')) {
    throw new Error(`invalid file path ${JSON.stringify(file)}`);
  }
  return file;
}
