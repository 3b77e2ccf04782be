/**
 * Warnings a construct records instead of printing (constructs do no I/O): valid objects that will not do what
 * they seem to. cdk8s has no `Annotations`; construct metadata is its like. The app or the CLI prints them
 * (src/app.ts printChartWarnings).
 */
import type { IConstruct } from 'constructs';

/** The metadata type of a netstrap warning. */
export const WARNING_METADATA = 'netstrap:warning';

/** Records a warning on `scope`. */
export function addWarning(scope: IConstruct, message: string): void {
  scope.node.addMetadata(WARNING_METADATA, message);
}

/** Every warning recorded on `scope` and the constructs under it, in construct order. */
export function warningsOf(scope: IConstruct): string[] {
  return scope.node
    .findAll()
    .flatMap((construct) => construct.node.metadata.filter((entry) => entry.type === WARNING_METADATA))
    .map((entry) => String(entry.data));
}
