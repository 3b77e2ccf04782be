/** Fact outputs recorded from a real sandboxed node by capture-facts.ts (bare, converged, drifted). */
import { readFileSync } from 'fs';
import { join } from 'path';
import { FactSet, type FactOutputs } from '../../../src/host/fact';
import type { Change } from '../../../src/host/types';
import { renderCommand } from '../../../src/host/shell';

type State = 'bare' | 'converged' | 'drifted';

/** The fact script's output, one text per fact, as recorded. */
export function recordedOutputs(state: State): FactOutputs {
  return JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'fixtures', 'host-facts', `${state}.json`), 'utf8'),
  ) as FactOutputs;
}

/** The recorded facts as the planner reads them. */
export function recordedFacts(state: State): FactSet {
  return new FactSet(recordedOutputs(state));
}

/** A change as one line per command, for readable expectations. */
export function rendered(change: Change | undefined): { apply: string[]; revert: string[] } {
  if (!change) throw new Error('no such change');
  return { apply: change.apply.map((c) => renderCommand(c)), revert: change.revert.map((c) => renderCommand(c)) };
}
