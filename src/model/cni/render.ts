/** Rendering CNI objects to the exact JSON a container runtime reads from /etc/cni/net.d. */
import { CniNetworkList, CniPluginObject } from './types';

/** The conflist as an object in the spec's key order (cniVersion, cniVersions, name, disableCheck, disableGC, plugins). */
export function conflistObject(list: CniNetworkList): Record<string, unknown> {
  const out: Record<string, unknown> = { cniVersion: list.cniVersion };
  if (list.cniVersions !== undefined) out.cniVersions = [...list.cniVersions];
  out.name = list.name;
  if (list.disableCheck !== undefined) out.disableCheck = list.disableCheck;
  if (list.disableGC !== undefined) out.disableGC = list.disableGC;
  out.plugins = list.plugins.map((plugin) => ({ ...plugin }));
  return out;
}

/**
 * A single network configuration (`.conf`): cniVersion and name, then the one plugin's fields in their order.
 * A `name` inside the plugin object is dropped: in a .conf the network name is the name.
 */
export function confObject(cniVersion: string, name: string, plugin: CniPluginObject): Record<string, unknown> {
  const { name: _ignored, ...fields } = plugin;
  void _ignored;
  return { cniVersion, name, ...fields };
}

/** Renders any CNI object as the JSON text written to disk (2-space indent, trailing newline). */
export function renderCniJson(value: unknown, indent = 2): string {
  return `${JSON.stringify(value, null, indent)}\n`;
}

/** The text of /etc/cni/net.d/<file>.conflist for a list: a pure function, no construct scope needed. */
export function renderConflist(list: CniNetworkList, indent = 2): string {
  return renderCniJson(conflistObject(list), indent);
}

/** The default file name of a list under /etc/cni/net.d: `10-<name>.conflist` (or `.conf` for a single config). */
export function defaultCniFileName(name: string, format: 'conflist' | 'conf' = 'conflist'): string {
  return `10-${name}.${format}`;
}
