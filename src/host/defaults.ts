/**
 * The host side's defaults (timeouts, concurrency), in one file: the provisioner, diagnose, the SSH transport,
 * commit-confirm and the CLI's --help all read them here. No imports, so the CLI shows them without loading SSH.
 */

/** Hosts worked on at once by plan, bootstrap, verify, reset and diagnose. */
export const DEFAULT_CONCURRENCY = 64;
/** TCP connect + SSH handshake + authentication, per hop. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Each command round trip. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;
/** From arming the commit-confirm watchdog to its revert, unless confirmed. */
export const DEFAULT_CONFIRM_TIMEOUT_MS = 30_000;
/** How long after the watchdog's deadline the controller keeps asking for its outcome. */
export const WATCHDOG_GRACE_MS = 15_000;
/** The round trip that asks the watchdog to revert at once, over the old connection. */
export const REVERT_NOW_TIMEOUT_MS = 10_000;
/** SSH keepalive interval of every connection. */
export const SSH_KEEPALIVE_INTERVAL_MS = 15_000;
