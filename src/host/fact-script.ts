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
import { FACT_NAME, type FactBatch, type FactOutputs, type FactReader } from './fact';
import { quoteArg, quoteCommand } from './shell';

/** One section of the fact script: a fact's name (shared by every reader of the same thing) and its command. */
export interface FactSection {
  readonly name: string;
  readonly argv: ReadonlyArray<string>;
  /** Read with the other sections of its batch by one command (fact.ts FactBatch). */
  readonly batch?: FactBatch;
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
    for (const { name, argv, batch } of reader.facts(node, cluster)) {
      // Section names go into marker lines; they come from code and validated names, but must stay one word.
      if (!FACT_NAME.test(name)) throw new Error(`fact section name must be one word: ${JSON.stringify(name)}`);
      const known = sections.get(name);
      if (known && JSON.stringify(known.argv) !== JSON.stringify(argv)) {
        throw new Error(
          `fact section ${name} is read with two different commands (${JSON.stringify(known.argv)}, ${JSON.stringify(argv)})`,
        );
      }
      if (!known) sections.set(name, batch ? { name, argv, batch } : { name, argv });
    }
  }
  return [...sections.values()];
}

/** What the script reads, in order: a section on its own, or a batch at the place of its first section. */
interface ScriptPart {
  readonly name: string;
  readonly argv: ReadonlyArray<string>;
  /** A batch's sections, in order (their outputs come from splitting the part's). */
  readonly members?: FactSection[];
}

function scriptParts(sections: ReadonlyArray<FactSection>): ScriptPart[] {
  const parts: ScriptPart[] = [];
  const batches = new Map<string, FactSection[]>();
  for (const section of sections) {
    const { batch } = section;
    if (!batch) {
      parts.push(section);
      continue;
    }
    const members = batches.get(batch.name);
    if (members) {
      members.push(section);
      continue;
    }
    if (!FACT_NAME.test(batch.name)) throw new Error(`fact batch name must be one word: ${JSON.stringify(batch.name)}`);
    const joint = [section];
    batches.set(batch.name, joint);
    parts.push({ name: batch.name, argv: ['sh', '-c', batch.snippet, 'sh'], members: joint });
  }
  // A batch's argv takes every member's arg, now that all are known.
  return parts.map((part) =>
    part.members ? { ...part, argv: [...part.argv, ...part.members.map((m) => m.batch!.arg)] } : part,
  );
}

/**
 * The fact script: for each section, a begin line, the command's stdout, a newline and an end line. Sections of one
 * batch are read by one command, in one section named after the batch.
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
  for (const part of scriptParts(sections)) {
    const rendered = command(part.argv);
    lines.push(`echo ${quoteArg(`${marker} fact ${part.name}`)}`);
    lines.push(`{ ${rendered}; } 2>/dev/null`);
    // The extra newline guarantees the end line starts a line even when the output lacks a final newline.
    lines.push(`echo; echo ${quoteArg(`${marker} end`)}`);
  }
  lines.push(`echo ${quoteArg(`${marker} facts-done`)}`);
  return lines.join('\n') + '\n';
}

/**
 * Splits fact-script output back into sections (a batch's into its members'). Throws when a section or the final
 * line is missing (the script was cut short), so a truncated read is never taken for "nothing there".
 */
export function parseFacts(output: string, sections: ReadonlyArray<FactSection>, marker: string): FactOutputs {
  const facts: Record<string, string> = {};
  let at = 0;
  for (const part of scriptParts(sections)) {
    const begin = `${marker} fact ${part.name}\n`;
    const start = output.indexOf(begin, at);
    if (start < 0) throw new Error(`fact output is missing section ${part.name}`);
    const bodyStart = start + begin.length;
    const end = output.indexOf(`\n${marker} end\n`, bodyStart);
    if (end < 0) throw new Error(`fact output of section ${part.name} is cut short`);
    const body = output.slice(bodyStart, end);
    if (part.members) {
      const members = part.members;
      const outputs = members[0].batch!.split(
        body,
        members.map((m) => m.batch!.arg),
      );
      members.forEach((member, i) => {
        facts[member.name] = outputs[i];
      });
    } else facts[part.name] = body;
    at = end + 1;
  }
  if (output.indexOf(`${marker} facts-done\n`, at) < 0) throw new Error('fact output is cut short (no final marker)');
  return facts;
}
