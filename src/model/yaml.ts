/** The one YAML reader of cluster files and manifests: YAML 1.2 core schema, errors as InputError. */
import { CORE_SCHEMA, loadAll, YAMLException } from 'js-yaml';
import { InputError } from './errors';

/**
 * Every document of `text` (empty ones included). js-yaml's parser is recursive: a file nested a few thousand
 * levels deep overflows the stack (RangeError), which is reported as bad input like any other YAML error.
 */
export function loadYamlDocuments(text: string, file: string): unknown[] {
  try {
    return loadAll(text, undefined, { schema: CORE_SCHEMA, filename: file });
  } catch (error) {
    if (error instanceof RangeError) {
      throw new InputError(file, [{ path: [], message: 'YAML: nesting is too deep (at most 100 levels)' }]);
    }
    if (!(error instanceof YAMLException)) throw error;
    const at = error.mark ? ` at line ${error.mark.line + 1}, column ${error.mark.column + 1}` : '';
    throw new InputError(file, [{ path: [], message: `YAML: ${error.reason}${at}` }]);
  }
}
