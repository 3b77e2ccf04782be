/**
 * Every disruption check (see disruption.ts) that plan and bootstrap run unless told otherwise. A new check lives
 * in its own module and is appended here.
 */
import type { DisruptionCheck } from './disruption';
import { sshPathCheck } from './lockout';
import { podSubnetCheck } from './pod-subnet-guard';
import { routerAdvertisementCheck } from './router-advertisements';

export const disruptionChecks: DisruptionCheck[] = [sshPathCheck, routerAdvertisementCheck, podSubnetCheck];
