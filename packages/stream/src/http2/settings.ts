import type { SessionOptions } from 'node:http2';

/** Limits of an HTTP/2 session, ours to the peer (both server and client side). */
export interface Http2Options {
  /** SETTINGS_MAX_HEADER_LIST_SIZE: the largest header block we accept, in bytes. */
  maxHeaderSize?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS we allow the peer to open (server side). */
  maxConcurrentStreams?: number;
  /**
   * SETTINGS_INITIAL_WINDOW_SIZE: how many body bytes of one stream the peer may send before we read
   * them. It bounds what a paused stream buffers.
   */
  initialWindowSize?: number;
  /** The connection's receive window: bounds what all paused streams of a connection buffer together. */
  connectionWindowSize?: number;
}

export const DEFAULT_H2_MAX_HEADER_SIZE = 64 * 1024;
export const DEFAULT_H2_MAX_CONCURRENT_STREAMS = 1024;
export const DEFAULT_H2_INITIAL_WINDOW_SIZE = 1024 * 1024;
export const DEFAULT_H2_CONNECTION_WINDOW_SIZE = 8 * 1024 * 1024;

const MiB = 1024 * 1024;

/**
 * Node's own limits on what a peer may do to a session, set explicitly so that a change of Node's defaults
 * does not change them (docs/config.md, "HTTP/2 limits"). Past one, nghttp2 or Node refuses the stream
 * (RST_STREAM ENHANCE_YOUR_CALM) or ends the session (GOAWAY), which the server side counts as a protocol error.
 */
export const H2_PEER_LIMITS = {
  /** Header fields in one block, pseudo-headers included (Envoy's `max_headers_count` is 100). */
  maxHeaderListPairs: 128,
  /** Entries in one SETTINGS frame. */
  maxSettings: 32,
  /** Frames nghttp2 finds invalid (bad stream state, bad flags) before the session is ended. */
  maxSessionInvalidFrames: 1000,
  /** Streams refused (over SETTINGS_MAX_CONCURRENT_STREAMS, or over session memory) before the session is ended. */
  maxSessionRejectedStreams: 100,
  /** Our own PINGs not yet answered. */
  maxOutstandingPings: 10,
  /** Streams we may open to a peer before its SETTINGS arrive (client side). */
  peerMaxConcurrentStreams: 100,
} as const;

/** The session options for `performServerHandshake` / `http2.connect` from our limits. */
export function sessionOptions(o: Http2Options, server: boolean): SessionOptions {
  const conn = o.connectionWindowSize ?? DEFAULT_H2_CONNECTION_WINDOW_SIZE;
  return {
    settings: {
      enablePush: false,
      maxHeaderListSize: o.maxHeaderSize ?? DEFAULT_H2_MAX_HEADER_SIZE,
      initialWindowSize: o.initialWindowSize ?? DEFAULT_H2_INITIAL_WINDOW_SIZE,
      ...(server ? { maxConcurrentStreams: o.maxConcurrentStreams ?? DEFAULT_H2_MAX_CONCURRENT_STREAMS } : {}),
    },
    // nghttp2 refuses new streams once a session holds this much (MiB); leave room for the window.
    maxSessionMemory: Math.max(10, Math.ceil(conn / MiB) * 2 + 10),
    ...H2_PEER_LIMITS,
  };
}

/** The connection-level receive window to set once the session exists (`session.setLocalWindowSize`). */
export function connectionWindow(o: Http2Options): number {
  return o.connectionWindowSize ?? DEFAULT_H2_CONNECTION_WINDOW_SIZE;
}
