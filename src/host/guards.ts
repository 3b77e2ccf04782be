/**
 * Every disruption check (see disruption.ts) that plan and bootstrap run unless told otherwise. A new check lives
 * in its own module and is appended here.
 */
import type { DisruptionCheck } from './disruption';
import { sshPathCheck } from './lockout';

export const disruptionChecks: DisruptionCheck[] = [sshPathCheck];
