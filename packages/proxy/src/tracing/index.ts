export { isValidId, newSpanId, newTraceId } from './ids.js';
export { RequestSpan, type SpanAttributeFn, type SpanSink } from './request-span.js';
export { localIpHex, otelTraceIdOfSofa, SOFA_PEN_ATTRS, SOFA_ROOT_RPC_ID, SOFA_RPC_ID, SOFA_TRACE_ID, SofaTraceIds, sofaTraceSampled } from './sofa-tracer.js';
export { ListenerTracer, Tracer, type TracerOptions } from './tracer.js';
export { formatTraceparent, parseTraceparent, TRACEPARENT, TRACESTATE, type TraceParent } from './traceparent.js';
