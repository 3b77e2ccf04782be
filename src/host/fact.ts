/**
 * Facts, in pyinfra's shape: a fact is ONE object holding its read-only command and the parser of that command's
 * output, side by side, so the two cannot drift apart. The fact script (fact-script.ts) runs every fact of a node in
 * one round trip; its output, one text per fact, becomes the node's FactSet, from which resource kinds, disruption
 * checks and diagnose get typed values (`facts.get(ipRoutes())`), each parsed once per host, never the raw text.
 */
import type { Cluster, ClusterNode } from '../model/schema';

/** A fact's name is a section name of the fact script: one word, shared by everyone who reads the same thing. */
export const FACT_NAME = /^[A-Za-z0-9_.:-]+$/;

export interface Fact<T> {
  /** Section name: the same for the same command, so readers of the same thing share one read. */
  readonly name: string;
  /** Read-only argv; must print nothing (not fail) when what it reads does not exist. */
  readonly argv: ReadonlyArray<string>;
  /** The command's stdout (empty when the command printed nothing) → the typed value; throws when unreadable. */
  readonly parse: (output: string) => T;
  /** Read together with the other facts of the same batch, by one command (argv says what it reads alone). */
  readonly batch?: FactBatch;
}

/**
 * Facts of one kind read by one command for all of them (every file of a node by one `base64`, not one each): the
 * fact script runs `snippet` once with each fact's `arg`, and `split` gives each fact the output its own argv would
 * have printed, so parsers, digests and saved plans see the same text either way.
 */
export interface FactBatch {
  /** Section name of the joint read (one word, like a fact's). */
  readonly name: string;
  /** Shell run with the facts' args as "$@", in the facts' order. */
  readonly snippet: string;
  /** The fact's argument to the snippet (a path). */
  readonly arg: string;
  /** The joint output → one output per arg, in order; throws when it is not whole. */
  readonly split: (output: string, args: ReadonlyArray<string>) => string[];
}

/** A fact; `parse` should be a module-level function (one section is parsed by one parser: FactSet checks it). */
export function fact<T>(
  name: string,
  argv: ReadonlyArray<string>,
  parse: (output: string) => T,
  batch?: FactBatch,
): Fact<T> {
  if (!FACT_NAME.test(name)) throw new Error(`fact name must be one word: ${JSON.stringify(name)}`);
  return batch ? { name, argv, parse, batch } : { name, argv, parse };
}

/** Anything that reads facts in the fact round trip: resource kinds, disruption checks, the ownership record, diagnose. */
export interface FactReader {
  /** The facts read for `node`, in the order they are read. */
  facts(node: ClusterNode, cluster: Cluster): ReadonlyArray<Fact<unknown>>;
}

/** The fact script's output of one node: fact name → the command's stdout. */
export type FactOutputs = Readonly<Record<string, string>>;

/** One node's facts: each parsed on first use, once, by its own parser. */
export class FactSet {
  private readonly parsed = new Map<string, { readonly parse: (output: string) => unknown; readonly value: unknown }>();

  constructor(readonly outputs: FactOutputs) {}

  get<T>(fact: Fact<T>): T {
    const known = this.parsed.get(fact.name);
    if (known) {
      if (known.parse !== fact.parse) throw new Error(`fact ${fact.name} is parsed by two different parsers`);
      return known.value as T;
    }
    const value = fact.parse(this.outputs[fact.name] ?? '');
    this.parsed.set(fact.name, { parse: fact.parse, value });
    return value;
  }
}

/** The facts of several readers as name → argv (for tests and for showing what is read). */
export function factCommands(
  reader: FactReader,
  node: ClusterNode,
  cluster: Cluster,
): Readonly<Record<string, ReadonlyArray<string>>> {
  return Object.fromEntries(reader.facts(node, cluster).map((f) => [f.name, f.argv]));
}

/** Output lines, trimmed, without empty ones. */
export function outputLines(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}
