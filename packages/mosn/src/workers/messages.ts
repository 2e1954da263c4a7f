import type { SectionLayer } from '../runtime/config-edit.js';

/**
 * What the primary of `--workers` and its workers say over each worker's IPC channel. A worker asks for the listening
 * socket of each address it listens on (`socket?`, answered as in a hot upgrade: `socket` with the bound handle),
 * for the config to serve (`config?`: the file as the primary read it, and the dynamic sources' layers), and says
 * when it serves (`ready`); the primary calls it (`call`: reload, stop, stats, ...) and it answers (`answer`).
 * Only plain data crosses (JSON): an error is its message.
 */
export type WorkerMessage =
  | { readonly mosn: 'socket?'; readonly key: string }
  | { readonly mosn: 'socket'; readonly key: string; readonly found: boolean }
  | { readonly mosn: 'config?' }
  | { readonly mosn: 'config'; readonly config: unknown; readonly layers: Layers }
  | { readonly mosn: 'ready'; readonly pid: number }
  | { readonly mosn: 'call'; readonly id: number; readonly call: WorkerCall }
  | { readonly mosn: 'answer'; readonly id: number; readonly value?: unknown; readonly error?: string };

/** The dynamic sources' layers (xDS, the registry), as the primary resolved them over the file's config. */
export type Layers = Readonly<Record<string, SectionLayer>>;

/** What the primary asks of a worker. */
export type WorkerCall =
  /** Apply the file's config (as the primary read it) with these dynamic layers (a reload). */
  | { readonly op: 'apply'; readonly config: unknown; readonly layers: Layers; readonly origin: string }
  /** One dynamic source's layer changed. */
  | { readonly op: 'layer'; readonly source: string; readonly layer: SectionLayer; readonly origin: string }
  | { readonly op: 'stop' }
  | { readonly op: 'reopen-logs' }
  | { readonly op: 'log-level'; readonly level: string }
  | { readonly op: 'log-enabled'; readonly on: boolean }
  /** The worker's stats snapshot. */
  | { readonly op: 'stats' }
  /** The worker's running config (MOSN's JSON) and its version. */
  | { readonly op: 'state' }
  /** The share keys of the addresses its listeners listen on. */
  | { readonly op: 'keys' }
  /** What the live admin page shows of it (listeners, clusters with their hosts). */
  | { readonly op: 'live' };

/** A worker's answer to `state`. */
export interface WorkerState {
  readonly config: unknown;
  readonly version: number;
}

/** An apply as it crosses the channel: ApplyResult with each failure's error as its message. */
export type ApplyAnswer =
  | { readonly ok: true; readonly version: number; readonly changes: readonly unknown[]; readonly failed: readonly { change: unknown; error: string }[] }
  | { readonly ok: false; readonly version: number; readonly problems: readonly { path: string; message: string }[] };

/** The environment variable that makes a mosn process a worker: its id (1 to N). */
export const WORKER_ENV = 'MOSN_WORKER_ID';

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return m !== null && typeof m === 'object' && typeof (m as { mosn?: unknown }).mosn === 'string';
}
