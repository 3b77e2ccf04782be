/**
 * The fact script: every fact of one node (fact.ts: every reader's), run as ONE script in one round trip, and its
 * output split back into one text per fact (FactOutputs, which a FactSet parses).
 *
 * Each section is printed between a begin line and an end line carrying a random per-run marker, so no output
 * of a command (a file's content, say) can be mistaken for a delimiter. Each command runs with stderr discarded
 * and its exit status ignored: a thing that does not exist reads as empty output, as the ResourceKind contract
 * asks.
 */
import { randomBytes } from 'crypto';
import type { Cluster, ClusterNode } from '../model/schema';
import { FACT_NAME, type FactOutputs, type FactReader } from './fact';
import { quoteArg, quoteCommand } from './shell';

/** One section of the fact script: a fact's name (shared by every reader of the same thing) and its command. */
export interface FactSection {
  readonly name: string;
  readonly argv: ReadonlyArray<string>;
}

/** A fresh marker for one run: random, so it cannot appear in what a node prints. */
export function newMarker(): string {
  return `@@netstrap-${randomBytes(8).toString('hex')}@@`;
}

/**
 * Every reader's facts for a node, in reader order. Readers of the same thing use the same fact and share one
 * read; one name with two different commands is a bug in a reader and throws.
 */
export function factSections(node: ClusterNode, cluster: Cluster, readers: ReadonlyArray<FactReader>): FactSection[] {
  const sections = new Map<string, FactSection>();
  for (const reader of readers) {
    for (const { name, argv } of reader.facts(node, cluster)) {
      // Section names go into marker lines; they come from code and validated names, but must stay one word.
      if (!FACT_NAME.test(name)) throw new Error(`fact section name must be one word: ${JSON.stringify(name)}`);
      const known = sections.get(name);
      if (known && JSON.stringify(known.argv) !== JSON.stringify(argv)) {
        throw new Error(
          `fact section ${name} is read with two different commands (${JSON.stringify(known.argv)}, ${JSON.stringify(argv)})`,
        );
      }
      if (!known) sections.set(name, { name, argv });
    }
  }
  return [...sections.values()];
}

/**
 * The fact script: for each section, a begin line, the command's stdout, a newline and an end line.
 *
 * A section command `sh -c SNIPPET sh ARGS…` becomes a call of a shell function whose body is SNIPPET run in a
 * subshell, `netstrap_fact_N() ( SNIPPET )`, defined once per distinct snippet: the same isolation as `sh -c`
 * (variables, `exit`, `cd` stay inside), with a fork instead of a fork and an exec of a new shell per section
 * (every exec of a new process costs milliseconds of a node's CPU, and a lab's nodes share the controller's cores).
 */
export function buildFactScript(sections: ReadonlyArray<FactSection>, marker: string): string {
  const lines: string[] = [];
  const functions = new Map<string, string>();
  const command = (argv: ReadonlyArray<string>): string => {
    const [shell, flag, snippet, zero, ...args] = argv;
    if (shell !== 'sh' || flag !== '-c' || snippet === undefined || (zero !== undefined && zero !== 'sh'))
      return quoteCommand(argv);
    let name = functions.get(snippet);
    if (name === undefined) {
      name = `netstrap_fact_${functions.size + 1}`;
      functions.set(snippet, name);
      lines.push(`${name}() (\n${snippet}\n)`);
    }
    return quoteCommand([name, ...args]);
  };
  for (const section of sections) {
    const rendered = command(section.argv);
    lines.push(`echo ${quoteArg(`${marker} fact ${section.name}`)}`);
    lines.push(`{ ${rendered}; } 2>/dev/null`);
    // The extra newline guarantees the end line starts a line even when the output lacks a final newline.
    lines.push(`echo; echo ${quoteArg(`${marker} end`)}`);
  }
  lines.push(`echo ${quoteArg(`${marker} facts-done`)}`);
  return lines.join('\n') + '\n';
}

/**
 * Splits fact-script output back into sections. Throws when a section or the final line is missing (the
 * script was cut short), so a truncated read is never taken for "nothing there".
 */
export function parseFacts(output: string, sections: ReadonlyArray<FactSection>, marker: string): FactOutputs {
  const facts: Record<string, string> = {};
  let at = 0;
  for (const section of sections) {
    const begin = `${marker} fact ${section.name}\n`;
    const start = output.indexOf(begin, at);
    if (start < 0) throw new Error(`fact output is missing section ${section.name}`);
    const bodyStart = start + begin.length;
    const end = output.indexOf(`\n${marker} end\n`, bodyStart);
    if (end < 0) throw new Error(`fact output of section ${section.name} is cut short`);
    facts[section.name] = output.slice(bodyStart, end);
    at = end + 1;
  }
  if (output.indexOf(`${marker} facts-done\n`, at) < 0) throw new Error('fact output is cut short (no final marker)');
  return facts;
}
