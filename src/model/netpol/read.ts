/**
 * Reads `netpol` inputs: cluster files and/or Kubernetes manifest files and directories, in any mix. A file whose
 * only document has `network` and no `kind` is a cluster file (fully validated, as `netstrap validate` does);
 * anything else is manifests. Bad input throws InputError naming the file, the field and the value.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputError, warningLines } from '../errors';
import { checkClusterText, ClusterModel } from '../load';
import { addCluster } from './cluster';
import { networkPolicyWarnings } from '../cni';
import { SourceLines, withLines } from '../source-lines';
import { manifestIngressWarnings } from './ingress-reach';
import { emptyInventory, finishInventory, Inventory } from './inventory';
import {
  addManifests,
  InputErrors,
  manifestDocuments,
  ManifestDocument,
  manifestFiles,
  parseDocuments,
} from './manifests';

export interface NetpolInput {
  readonly inventory: Inventory;
  /** Files read, in order. */
  readonly files: readonly string[];
  /** Cluster files among them. */
  readonly clusterFiles: readonly string[];
  /**
   * Warnings, printed as they are (`warning: file: path: message`, on stderr): the cluster files' own, and policies
   * their CNI does not enforce.
   */
  readonly warnings: readonly string[];
}

/**
 * Reads the inputs. `synthesize`, when given, turns a checked cluster file into the objects `netstrap synth` writes
 * (the CLI passes cdk8s; the model cannot load it): the cluster then contributes those objects (add-ons included,
 * as its dist/ would) plus its declared workloads. Without it, its namespaces, workloads and policies as declared.
 */
export function readNetpolInputs(
  inputs: readonly string[],
  synthesize?: (model: ClusterModel) => unknown[],
): NetpolInput {
  const inventory = emptyInventory();
  const files: string[] = [];
  const clusterFiles: string[] = [];
  const warnings: string[] = [];
  const docs: ManifestDocument[] = [];
  const errors: InputError[] = [];
  for (const input of inputs) {
    let list: string[];
    try {
      list = manifestFiles(input);
    } catch (error) {
      errors.push(
        new InputError(input, [
          {
            path: [],
            message: `cannot read: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`,
          },
        ]),
      );
      continue;
    }
    if (list.length === 0)
      errors.push(new InputError(input, [{ path: [], message: 'holds no .yaml, .yml or .json file' }]));
    for (const file of list) {
      files.push(file);
      try {
        const text = fs.readFileSync(file, 'utf8');
        const documents = parseDocuments(text, file);
        if (isClusterFile(documents)) {
          const model = checkClusterText(text, documents[0], file, path.dirname(path.resolve(file)));
          addCluster(inventory, model.cluster, file, synthesize !== undefined);
          if (synthesize) {
            const synthesized = manifestDocuments(synthesize(model), `${file} (synthesized)`);
            docs.push(...synthesized.map((doc) => ({ ...doc, synthesizedFrom: file })));
          }
          clusterFiles.push(file);
          warnings.push(
            ...warningLines(file, model.warnings),
            ...networkPolicyWarnings(model.cluster).map((w) => `warning: ${file}: ${w}`),
          );
        } else docs.push(...manifestDocuments(documents, file, new SourceLines(text)));
      } catch (error) {
        if (error instanceof InputError) errors.push(error);
        else errors.push(new InputError(file, [{ path: [], message: `cannot read: ${(error as Error).message}` }]));
      }
    }
  }
  try {
    warnings.push(...addManifests(inventory, docs).warnings);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    errors.push(error);
  }
  if (errors.length > 0) throw new InputErrors(errors);
  const finished = finishInventory(inventory);
  // Ingresses the manifests give whose backend a policy keeps from ingress-nginx (./ingress-reach.ts).
  const given = docs.filter((doc) => doc.synthesizedFrom === undefined);
  for (const { document, label, issue } of manifestIngressWarnings(finished, given)) {
    const doc = given[document];
    warnings.push(...warningLines(doc.file, withLines([issue], doc.lineOf), `${doc.where}, ${label}`));
  }
  return { inventory: finished, files, clusterFiles, warnings };
}

/**
 * What an analysis was made from, for the stderr summary and `netpol matrix --json`'s `inputs`: files, what was
 * analysed (workloads, namespaces, NetworkPolicies; objects read per kind) and the objects read but not analysed.
 */
export interface InputCounts {
  readonly files: number;
  readonly workloads: number;
  readonly namespaces: number;
  readonly networkPolicies: number;
  /** Objects read, by kind: Namespace, NetworkPolicy and the workload kinds (Pods folded into a controller too). */
  readonly read: Readonly<Record<string, number>>;
  /**
   * What the analysis works on, by kind: workloads by their kind, Namespace (referenced ones included) and
   * NetworkPolicy (duplicates counted once).
   */
  readonly analysed: Readonly<Record<string, number>>;
  /** Objects not analysed, by kind (and why, e.g. `Pod (folded into its Deployment)`): a Service, a ConfigMap, … */
  readonly notAnalysed: Readonly<Record<string, number>>;
}

export function inputCounts(input: NetpolInput): InputCounts {
  const inv = input.inventory;
  const byKind = (counts: Iterable<[string, number]>) =>
    Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const analysed = new Map<string, number>([
    ['Namespace', inv.namespaces.size],
    ['NetworkPolicy', inv.policies.length],
  ]);
  for (const w of inv.workloads) analysed.set(w.kind, (analysed.get(w.kind) ?? 0) + 1);
  return {
    files: input.files.length,
    workloads: inv.workloads.length,
    namespaces: inv.namespaces.size,
    networkPolicies: inv.policies.length,
    read: byKind(inv.read),
    analysed: byKind(analysed),
    notAnalysed: Object.fromEntries(inv.skipped),
  };
}

function isClusterFile(documents: unknown[]): boolean {
  if (documents.length !== 1) return false;
  const doc = documents[0];
  return (
    doc !== null &&
    typeof doc === 'object' &&
    !Array.isArray(doc) &&
    'network' in doc &&
    !('kind' in doc) &&
    !('apiVersion' in doc)
  );
}
