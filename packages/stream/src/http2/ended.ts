import type { Http2Session } from 'node:http2';

let kHandle: symbol | undefined;
/** The start-up check found the handle wrong (check.ts): every answer is `undefined` from then on. */
let disabled = false;

/**
 * Whether nghttp2 has ended `session` on its own: after a connection error in what the peer sent (a bad frame,
 * a bad HPACK block, a flood nghttp2 limits) it sends GOAWAY and stops reading, but Node tells JavaScript
 * nothing and keeps the socket open. The native handle's `hasPendingData()` is false once nghttp2 wants
 * neither to read nor to write, which for a session nobody asked to close means exactly that.
 *
 * The handle is Node's internal (`kHandle`): found by its symbol's name and checked for the method, so that
 * on a Node without it (or where the start-up check found it wrong) this answers `undefined` (unknown), and the
 * connection idle timeout closes such a session instead.
 */
export function nghttp2Ended(session: Http2Session): boolean | undefined {
  if (disabled) return undefined;
  // The symbol is the same for every session: looked up once (a session checks every 250 ms).
  const key = (kHandle ??= Object.getOwnPropertySymbols(session).find((s) => s.description === 'kHandle'));
  const handle = key === undefined ? undefined : ((session as unknown as Record<symbol, unknown>)[key] as { hasPendingData?: () => boolean } | undefined);
  if (typeof handle?.hasPendingData !== 'function') return undefined;
  return !handle.hasPendingData();
}

/** Answer `undefined` from now on: the handle did not behave as expected (the start-up check). */
export function disableNghttp2Ended(): void {
  disabled = true;
}
