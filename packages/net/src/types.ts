import type { IoBuffer } from './buffer.js';
import type { Connection } from './connection.js';

/** What a read filter tells the chain: go on to the next filter, or stop here for this read. */
export type FilterStatus = 'continue' | 'stop';

/**
 * Connection events, as MOSN names them. `remote_close` and `local_close` say who closed;
 * `connect_timeout` and `connect_failed` end a dial that never connected.
 */
export type ConnectionEvent =
  | 'connected'
  | 'remote_close'
  | 'local_close'
  | 'connect_timeout'
  | 'connect_failed';

/** Why a connection was closed locally, for logs and stats. */
export type CloseReason =
  | 'requested'
  | 'idle_timeout'
  | 'protocol_error'
  | 'upstream_failed'
  | 'shutdown'
  | 'write_error'
  | 'read_error'
  | 'internal_error'
  /** Given, open, to the process that took over in a hot upgrade. */
  | 'handed_off';

/** The hand a read filter gets on its connection. */
export interface ReadFilterCallbacks {
  readonly connection: Connection;
  /** Run the filters after this one on what is in the read buffer (after a filter returned 'stop'). */
  continueReading(): void;
}

/**
 * A network read filter. Filters run in order; `onData` sees the connection's read buffer and consumes
 * what it understands. `endStream` is true once the peer has half-closed.
 */
export interface ReadFilter {
  initializeReadFilterCallbacks?(callbacks: ReadFilterCallbacks): void;
  onNewConnection?(): FilterStatus;
  onData(buffer: IoBuffer, endStream: boolean): FilterStatus;
}

/** A network write filter: sees outgoing chunks, last filter first; 'stop' drops the write. */
export interface WriteFilter {
  onWrite(chunks: Buffer[]): FilterStatus;
}

/**
 * Installs filters on a new connection. Config is parsed once, when the factory is built;
 * `createFilterChain` runs per connection and must be cheap.
 */
export interface NetworkFilterFactory {
  createFilterChain(connection: Connection): void;
}

export type Address = { host: string; port: number } | { path: string };

export function formatAddress(a: Address): string {
  return 'path' in a ? `unix:${a.path}` : a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Parse MOSN's address forms: `ip:port`, `[v6]:port`, `unix:/path` or a bare absolute path.
 * Returns undefined when the text is none of these.
 */
export function parseAddress(text: string): Address | undefined {
  if (text.startsWith('unix:')) return text.length > 5 ? { path: text.slice(5) } : undefined;
  if (text.startsWith('/') || text.startsWith('@')) return { path: text };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: (m[1] ?? m[2])!, port };
}
