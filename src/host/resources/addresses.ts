/**
 * Deleting an IPv4 address without taking what the node still needs with it. With the kernel's default
 * (net.ipv4.conf.<dev>.promote_secondaries = 0), deleting a device's primary address deletes every secondary one of
 * the same subnet with it, and a device left without any address loses every route through it: replacing .11 by .21
 * (added first, so a secondary) would take .21, the default route and each route via the LAN's gateway along. With
 * promotion on for that one deletion, .21 becomes the primary and the routes stay; the setting is put back at once.
 * A device that is gone already has no address left to delete: that is not a failure.
 */
import type { Command } from '../types';

/**
 * $1 the address, $2 the device. The device name is also a path component of /proc/sys (as sysctl's own). dash's
 * `read` takes one byte at a time and /proc/sys ends a read at a non-zero offset: it gets the one-digit value, and
 * fails for want of a newline, so its status is not looked at.
 */
const PROMOTING_DELETE =
  'ip link show dev "$2" >/dev/null 2>&1 || exit 0; f=/proc/sys/net/ipv4/conf/$2/promote_secondaries; p=; ' +
  '{ read -r p < "$f"; [ -z "$p" ] || echo 1 > "$f"; } 2>/dev/null; ip addr del "$1" dev "$2"; s=$?; ' +
  '[ -z "$p" ] || { echo "$p" > "$f"; } 2>/dev/null; exit $s';

/** Deletes `address` from `dev`, on the node or inside network namespace `ns`, keeping the other addresses and routes. */
export function deleteAddress(address: string, dev: string, ns?: string): Command {
  const script = ['sh', '-c', PROMOTING_DELETE, 'sh', address, dev];
  return { argv: ns === undefined ? script : ['ip', 'netns', 'exec', ns, ...script] };
}
