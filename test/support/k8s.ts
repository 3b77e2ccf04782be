/**
 * Test support for synthesized manifests: synthesize a chart to plain objects and validate every object against
 * the Kubernetes OpenAPI schema (kubernetes-models), as the acceptance criteria ask of every test.
 */
import { Chart, Testing } from 'cdk8s';
import * as fs from 'fs';
import * as path from 'path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: any;
};

/** Validates one object against the OpenAPI schema of its apiVersion/kind; throws with the object named. */
export function validateManifest(object: Manifest): void {
  const group = object.apiVersion;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const models = require(`kubernetes-models/${group}`);
  const Model = models[object.kind];
  if (!Model) throw new Error(`no OpenAPI model for ${object.apiVersion} ${object.kind}`);
  try {
    new Model(object).validate();
  } catch (error) {
    throw new Error(
      `${object.kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name}: ${(error as Error).message}`,
    );
  }
}

/** Synthesizes a chart and validates every object it holds; returns the objects. */
export function synthValid(chart: Chart): Manifest[] {
  const objects = Testing.synth(chart) as Manifest[];
  objects.forEach(validateManifest);
  return objects;
}

/** Reads a YAML file of one or more documents (e.g. from ../shared/reference) as plain objects. */
export function readYamlDocuments(file: string): Manifest[] {
  return (loadAll(fs.readFileSync(file, 'utf8'), undefined, { schema: CORE_SCHEMA }) as any[])
    .filter((o) => o !== null)
    .flatMap((o) => (o.kind === 'List' ? o.items : [o]));
}

/** Where the reference manifests are expected: ../shared/reference beside the repository. */
export const REFERENCE_DIR = path.join(__dirname, '..', '..', '..', 'shared', 'reference');

/**
 * Path of a file (or directory) under ../shared/reference. When it is missing, throws an error whose message and
 * stack are one line naming what is missing and where it is expected (not an ENOENT stack from a later read).
 */
export function reference(...parts: string[]): string {
  const file = path.join(REFERENCE_DIR, ...parts);
  if (!fs.existsSync(file)) {
    const error = new Error(
      `missing reference manifest ${path.posix.join(...parts)}: expected at ${file} (../shared/reference beside the repository)`,
    );
    error.stack = error.message;
    throw error;
  }
  return file;
}

/** Finds one object by kind and name. */
export function findObject(objects: Manifest[], kind: string, name: string): Manifest {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}
