/**
 * `only` (`--only`): the nodes a host command works on. Checked here once: the CLI reports these issues before any
 * connection (exit 2), and the provisioner and diagnose, which library callers reach directly, refuse the same.
 */
import { InputError, type Issue } from '../model/errors';

/** One issue per name in `only` that names no node. */
export function onlyIssues(nodes: ReadonlyArray<{ readonly name: string }>, only?: ReadonlyArray<string>): Issue[] {
  return (only ?? [])
    .filter((name) => !nodes.some((node) => node.name === name))
    .map((name) => ({ path: ['only'], message: `(--only) no node named ${JSON.stringify(name)}` }));
}

/** The nodes `only` names (every node without it); throws an InputError for a name that is no node. */
export function selectNodes<N extends { readonly name: string }>(
  nodes: ReadonlyArray<N>,
  only?: ReadonlyArray<string>,
): N[] {
  const issues = onlyIssues(nodes, only);
  if (issues.length > 0) throw new InputError('netstrap', issues);
  return nodes.filter((node) => !only || only.includes(node.name));
}
