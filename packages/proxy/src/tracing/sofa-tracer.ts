import { createHash } from 'node:crypto';
import { networkInterfaces } from 'node:os';

/**
 * SOFATracer's trace context as SOFARPC carries it in the Bolt header map (MOSN's pkg/trace/sofa/types.go; SOFARPC's
 * `rpc_trace_context` request props, flattened): the trace id, the rpc id (the span's place in the call tree: "0"
 * for the root, "0.1", "0.2" for its calls, "0.1.1" for theirs) and the baggage (`sofaPenAttrs`, passed on as it
 * came).
 */
export const SOFA_TRACE_ID = 'rpc_trace_context.sofaTraceId';
export const SOFA_RPC_ID = 'rpc_trace_context.sofaRpcId';
export const SOFA_PEN_ATTRS = 'rpc_trace_context.sofaPenAttrs';
/** The rpc id of a trace's first span. */
export const SOFA_ROOT_RPC_ID = '0';

/**
 * New SOFATracer trace ids, in SOFATracer's format (its TraceIdGenerator; MOSN's pkg/trace/idgen.go): the host's
 * IPv4 address as 8 hex digits (`ffffffff` when it has none but loopback), the time in milliseconds (13 digits), a
 * counter from 1001 to 9001 that wraps to 1000, and the process id: `0ad1348f1403169275002100356696`, 30 characters
 * with a 5-digit pid.
 */
export class SofaTraceIds {
  readonly #ipHex: string;
  readonly #pid: string;
  #counter = 1000;

  constructor(ipHex = localIpHex(), pid = process.pid) {
    this.#ipHex = ipHex;
    this.#pid = String(pid);
  }

  next(nowMs = Date.now()): string {
    this.#counter = this.#counter > 9000 ? 1000 : this.#counter + 1;
    return this.#ipHex + nowMs + this.#counter + this.#pid;
  }
}

/** The first IPv4 address that is not loopback, as 8 hex digits; `ffffffff` when there is none (SOFATracer's). */
export function localIpHex(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family !== 'IPv4' || a.internal) continue;
      return a.address
        .split('.')
        .map((p) => Number(p).toString(16).padStart(2, '0'))
        .join('');
    }
  }
  return 'ffffffff';
}

const HEX_ID = /^[0-9a-f]{1,32}$/;

/**
 * The OpenTelemetry trace id of a SOFATracer trace id. SOFATracer's ids are hex (the address) followed by decimal
 * digits, 30 or so characters: left-padded with zeros to 32 they are valid W3C ids, and the SOFA id can be read back
 * from the OTel one. Any other id (longer, not hex, all zeros) is hashed (SHA-256, the first 16 bytes).
 */
export function otelTraceIdOfSofa(sofaTraceId: string): string {
  const id = sofaTraceId.toLowerCase();
  if (HEX_ID.test(id) && !/^0+$/.test(id)) return id.padStart(32, '0');
  return createHash('sha256').update(sofaTraceId).digest('hex').slice(0, 32);
}

/**
 * The sampling decision for a SOFATracer trace: a hash of its id (FNV-1a, 32 bits) under `rate` of the hash space,
 * so that every mosn a trace passes through decides the same (Bolt carries no sampled flag). The ids' own digits are
 * not random enough to compare directly (address, time, counter, pid).
 */
export function sofaTraceSampled(sofaTraceId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  let h = 0x811c9dc5;
  for (let i = 0; i < sofaTraceId.length; i++) {
    h ^= sofaTraceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 0x1_0000_0000 < rate;
}
