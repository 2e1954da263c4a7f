/**
 * What the two processes of a hot upgrade say to each other over the IPC channel of the new one: it asks for the
 * listening socket of each address it listens on, and says when it serves; then the old one gives it the open
 * connections it drains that can go on (with their listen address).
 */
export type UpgradeMessage =
  | { readonly mosn: 'socket?'; readonly key: string }
  | { readonly mosn: 'socket'; readonly key: string; readonly found: boolean }
  | { readonly mosn: 'ready'; readonly pid: number }
  | { readonly mosn: 'connection'; readonly key: string };

/** The environment variable that tells a new mosn process it was started by a hot upgrade (the old one's pid). */
export const UPGRADE_ENV = 'MOSN_UPGRADE_FROM';

export function isUpgradeMessage(m: unknown): m is UpgradeMessage {
  return m !== null && typeof m === 'object' && typeof (m as { mosn?: unknown }).mosn === 'string';
}

/** The worker count of the old process of a hot upgrade (the new one refuses to start with another). */
export const UPGRADE_WORKERS_ENV = 'MOSN_UPGRADE_WORKERS';
