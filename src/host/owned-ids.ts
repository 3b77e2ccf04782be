/**
 * Ownership ids as records. Each resource kind names the objects it owns with records of its own (a route is
 * `{ dst, metric }`, a link's address `{ dev, address }`), compared and taken apart as records. The ownership record
 * on a node (ownership.ts, format version 1) spells each id as one string: that spelling is written and read back
 * only by the kind's `OwnedIds`, so records written by earlier runs keep reading the same.
 */
export interface OwnedIds<Id> {
  /** The id as the ownership record spells it. */
  key(id: Id): string;
  /** The id the record spells, or undefined for a spelling this kind never wrote (such an entry is left alone). */
  read(key: string): Id | undefined;
}

/** What the link and bridge kinds own of an interface: the interface (a bridge), its MTU or state, an address. */
export type InterfaceId =
  | { readonly dev: string; readonly part: 'interface' | 'mtu' | 'state' }
  | { readonly dev: string; readonly part: 'address'; readonly address: string };

export const interfaceIds: OwnedIds<InterfaceId> = {
  key: (id) =>
    id.part === 'address'
      ? `${id.dev} address ${id.address}`
      : id.part === 'interface'
        ? id.dev
        : `${id.dev} ${id.part}`,
  read(key) {
    const match = /^(\S+)(?: (mtu|state)| address (\S+))?$/.exec(key);
    if (!match) return undefined;
    const [, dev, setting, address] = match;
    if (address !== undefined) return { dev, part: 'address', address };
    return { dev, part: setting === 'mtu' || setting === 'state' ? setting : 'interface' };
  },
};
