import { describe, expect, it } from 'vitest';
import { http2SessionHandleCheck, sessionHandleProblem } from './check.js';
import { disableNghttp2Ended, nghttp2Ended } from './ended.js';

/*
 * The start-up check of the HTTP/2 session's native handle, over a real loopback h2c session: the probe in
 * ended.ts passes; probes that read the handle wrong (missing, never ended, always ended) are caught; a failed
 * check leaves nghttp2Ended answering `undefined` (the idle timeout then closes such sessions).
 */
describe('the HTTP/2 session handle check', () => {
  it('passes with the probe mosn uses, and catches probes that read the handle wrong', async () => {
    expect(await sessionHandleProblem(nghttp2Ended)).toBeUndefined();
    expect(await sessionHandleProblem(() => undefined)).toBe('a live session read as unknown (no kHandle with hasPendingData)');
    expect(await sessionHandleProblem(() => true)).toBe('a live session read as ended');
    expect(await sessionHandleProblem(() => false)).toBe('a session nghttp2 ended (GOAWAY sent) read as not ended');
  });

  it('passes on this Node; once disabled (what a failed check does) nghttp2Ended answers undefined', async () => {
    expect(await http2SessionHandleCheck.run()).toEqual({ internal: expect.stringContaining('kHandle'), status: 'ok' });
    const reads: Array<boolean | undefined> = [];
    await sessionHandleProblem((s) => {
      reads.push(nghttp2Ended(s));
      disableNghttp2Ended();
      reads.push(nghttp2Ended(s));
      return false;
    });
    expect(reads.slice(0, 2)).toEqual([false, undefined]);
  });
});
