/** Fact outputs recorded from a real sandboxed node by capture-facts.ts (bare, converged, drifted). */
import { readFileSync } from 'fs';
import { join } from 'path';
import type { Change, RawFacts } from '../../../src/host/types';
import { renderCommand } from '../../../src/host/shell';

export function recordedFacts(state: 'bare' | 'converged' | 'drifted'): RawFacts {
  return JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'fixtures', 'host-facts', `${state}.json`), 'utf8'),
  ) as RawFacts;
}

/** A change as one line per command, for readable expectations. */
export function rendered(change: Change | undefined): { apply: string[]; revert: string[] } {
  if (!change) throw new Error('no such change');
  return { apply: change.apply.map((c) => renderCommand(c)), revert: change.revert.map((c) => renderCommand(c)) };
}
