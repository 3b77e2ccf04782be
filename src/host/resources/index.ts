/**
 * Every host resource kind, in the order their changes are applied (and reverted in reverse): each kind lives in
 * its own file next to this one and is appended to this list.
 */
import type { ResourceKind } from '../types';

export const resourceKinds: ResourceKind[] = [];
