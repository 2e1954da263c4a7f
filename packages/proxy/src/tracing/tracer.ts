import type { Connection, HeaderMap, HttpRequestHead, ServerStream, XFrame, XServerConnection } from '@mosn/stream';
import { newSpanId, newTraceId } from './ids.js';
import { RequestSpan, type SpanSink } from './request-span.js';
import { otelTraceIdOfSofa, SOFA_ROOT_RPC_ID, SOFA_RPC_ID, SOFA_TRACE_ID, SofaTraceIds, sofaTraceSampled } from './sofa-tracer.js';
import { formatTraceparent, parseTraceparent, TRACEPARENT, TRACESTATE } from './traceparent.js';

export interface TracerOptions {
  /**
   * The share of traces that start at mosn which are recorded (0 to 1). A request whose W3C `traceparent` is valid
   * follows its sampled flag instead (OpenTelemetry's ParentBased sampler); a Bolt request, whose SOFATracer context
   * has no flag, is sampled by a hash of its trace id, so every mosn on its way decides alike.
   */
  readonly sampleRate: number;
  readonly sink: SpanSink;
  /** The source of SOFATracer trace ids for Bolt requests that come without one (tests give their own). */
  readonly sofaTraceIds?: SofaTraceIds;
}

/**
 * The runtime's tracing (the config's `tracing` with driver `otel`): how much to sample and where spans go. Each
 * listener's `proxy` filter gets a ListenerTracer from it; a runtime without tracing has none, and its requests make
 * no span and touch no header.
 */
export class Tracer {
  readonly sampleRate: number;
  readonly sink: SpanSink;
  readonly sofaTraceIds: SofaTraceIds;

  constructor(options: TracerOptions) {
    this.sampleRate = options.sampleRate;
    this.sink = options.sink;
    this.sofaTraceIds = options.sofaTraceIds ?? new SofaTraceIds();
  }

  listener(name: string): ListenerTracer {
    return new ListenerTracer(this, name);
  }

  /** The decision for a trace mosn starts. */
  sampleNew(): boolean {
    return this.sampleRate >= 1 || Math.random() < this.sampleRate;
  }
}

/**
 * What a listener's requests call when they start: read the caller's trace context, decide whether to record, and
 * write the context the upstream gets into the request's own headers (they go upstream as they are, on every
 * attempt). Returns the request's span when it is recorded.
 *
 * - HTTP/1, HTTP/2, gRPC and Dubbo (its attachments): W3C `traceparent`. A valid one is continued (same trace, its
 *   span the parent of mosn's); an invalid one is replaced, with its `tracestate`; with none, a trace starts. The
 *   upstream gets mosn's span as its parent. A trace that is not recorded still goes on: an unsampled parent's
 *   `traceparent` as it came, a new trace with the sampled flag off.
 * - Bolt (v1, v2): SOFATracer's `rpc_trace_context.sofaTraceId` / `sofaRpcId`. Present: passed on as they came (the
 *   upstream's server span shares the caller's rpc id, as SOFATracer pairs client and server spans); absent: a trace
 *   id in SOFATracer's format and rpc id "0" are added. The span's OpenTelemetry trace id is made from the SOFA one.
 * - Other RPC protocols: a span per sampled request, nothing propagated (mosn cannot know where their codec keeps a
 *   trace context).
 */
export class ListenerTracer {
  readonly tracer: Tracer;
  readonly name: string;

  constructor(tracer: Tracer, name: string) {
    this.tracer = tracer;
    this.name = name;
  }

  startHttp(head: HttpRequestHead, stream: ServerStream): RequestSpan | undefined {
    const span = this.#w3c(head.headers, stream.protocol, stream.connection);
    span?.httpRequest(head);
    return span;
  }

  startRpc(request: XFrame, server: XServerConnection): RequestSpan | undefined {
    const protocol = server.protocol;
    const header = request.header;
    let span: RequestSpan | undefined;
    let system = protocol;
    if (protocol === 'bolt' || protocol === 'boltv2') {
      span = this.#sofa(header, protocol, server);
      system = 'sofarpc';
    } else if (protocol === 'dubbo') {
      span = this.#w3c(header, protocol, server.connection);
      system = 'apache_dubbo';
    } else if (this.tracer.sampleNew()) {
      span = new RequestSpan(this.tracer.sink, newTraceId(), '', this.name, protocol, server.connection);
    }
    span?.rpcRequest(system, header);
    return span;
  }

  #w3c(headers: HeaderMap, protocol: string, connection: Connection): RequestSpan | undefined {
    const tracer = this.tracer;
    const incoming = headers.get(TRACEPARENT);
    const parent = incoming === undefined ? undefined : parseTraceparent(incoming);
    let span: RequestSpan;
    if (parent !== undefined) {
      // the caller decided not to record: its context goes on unchanged, mosn's span is not in it
      if (!parent.sampled) return undefined;
      span = new RequestSpan(tracer.sink, parent.traceId, parent.parentId, this.name, protocol, connection);
    } else {
      // a traceparent that cannot be read: its tracestate belongs to no trace mosn knows
      if (incoming !== undefined) headers.delete(TRACESTATE);
      if (!tracer.sampleNew()) {
        headers.set(TRACEPARENT, formatTraceparent(newTraceId(), newSpanId(), false));
        return undefined;
      }
      span = new RequestSpan(tracer.sink, newTraceId(), '', this.name, protocol, connection);
    }
    headers.set(TRACEPARENT, formatTraceparent(span.traceId, span.spanId, true));
    return span;
  }

  #sofa(header: HeaderMap, protocol: string, server: XServerConnection): RequestSpan | undefined {
    const tracer = this.tracer;
    let traceId = header.get(SOFA_TRACE_ID);
    let rpcId = header.get(SOFA_RPC_ID);
    if (traceId === undefined || traceId === '') {
      traceId = tracer.sofaTraceIds.next();
      rpcId = SOFA_ROOT_RPC_ID;
      header.set(SOFA_TRACE_ID, traceId);
      header.set(SOFA_RPC_ID, rpcId);
    }
    if (!sofaTraceSampled(traceId, tracer.sampleRate)) return undefined;
    const span = new RequestSpan(tracer.sink, otelTraceIdOfSofa(traceId), '', this.name, protocol, server.connection);
    span.sofaTraceId = traceId;
    span.sofaRpcId = rpcId;
    return span;
  }
}
