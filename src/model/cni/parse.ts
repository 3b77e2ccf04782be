/** Parsing the text of a .conflist or .conf file back into a {@link CniNetworkList}. */
import { Issue, show } from '../errors';
import { CniNetworkList, CniPluginObject } from './types';
import { isObject } from './validate';

/** A parsed CNI file: a list, or a single config turned into a one-plugin list. */
export interface ParsedCni {
  readonly format: 'conflist' | 'conf';
  readonly list: CniNetworkList;
}

/**
 * Parses the text of a .conflist or .conf file. Key order is kept. Returns issues (not thrown) for bad JSON or a
 * shape that is neither a list nor a single config; the content itself is checked by {@link validateNetworkList}.
 */
export function parseCniText(text: string): { parsed?: ParsedCni; issues: Issue[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { issues: [{ path: [], message: `not JSON: ${(error as Error).message}` }] };
  }
  if (!isObject(value)) return { issues: [{ path: [], message: `expected a JSON object, got ${show(value)}` }] };
  if ('plugins' in value)
    return { parsed: { format: 'conflist', list: value as unknown as CniNetworkList }, issues: [] };
  if (typeof value.type === 'string') {
    const { cniVersion, name, ...plugin } = value;
    return {
      parsed: {
        format: 'conf',
        list: { cniVersion: cniVersion as string, name: name as string, plugins: [plugin as CniPluginObject] },
      },
      issues: [],
    };
  }
  return {
    issues: [
      {
        path: [],
        message: 'neither a network configuration list (no "plugins") nor a single network configuration (no "type")',
      },
    ],
  };
}
