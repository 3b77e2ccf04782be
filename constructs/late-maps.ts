/**
 * Maps cdk8s cannot render: its sanitizer reads `value.constructor.name` (so a key "constructor" throws) and copies
 * keys by assignment (so a key "__proto__" vanishes). Both are valid label, annotation and ConfigMap keys. Such a
 * map is left out of the props and set with a JSON patch instead, which cdk8s applies after rendering.
 */
import { ApiObject, JsonPatch } from 'cdk8s';

const UNRENDERABLE = ['constructor', '__proto__'];

export class LateMaps {
  private readonly patches: Array<{ readonly pointer: string; readonly value: object }> = [];

  /** `map` when cdk8s can render it; otherwise undefined, and the map is set at JSON `pointer` after rendering. */
  map<T extends object>(map: T | undefined, pointer: string): T | undefined {
    if (map === undefined || !UNRENDERABLE.some((key) => Object.hasOwn(map, key))) return map;
    // Sorted, as cdk8s sorts the keys of everything else; own properties, so "__proto__" stays a key.
    const value = {};
    for (const key of Object.keys(map).sort()) {
      Object.defineProperty(value, key, {
        value: (map as Record<string, unknown>)[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    this.patches.push({ pointer, value });
    return undefined;
  }

  /** Adds the patches to the object built from the props. */
  applyTo(object: ApiObject): void {
    for (const { pointer, value } of this.patches) object.addJsonPatch(JsonPatch.add(pointer, value));
  }
}
