import { randomFillSync } from 'node:crypto';

/**
 * Random trace and span ids as lowercase hex (W3C Trace Context, OpenTelemetry): bytes come from one pooled
 * buffer filled by the OS's CSPRNG (a refill every 256 trace ids), not one `randomBytes` call per id.
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

function randomHex(bytes: number): string {
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** 16 random bytes, 32 hex digits; never all zeros (an invalid id). */
export function newTraceId(): string {
  let id = randomHex(16);
  while (id === ZERO_TRACE_ID) id = randomHex(16);
  return id;
}

/** 8 random bytes, 16 hex digits; never all zeros (an invalid id). */
export function newSpanId(): string {
  let id = randomHex(8);
  while (id === ZERO_SPAN_ID) id = randomHex(8);
  return id;
}
