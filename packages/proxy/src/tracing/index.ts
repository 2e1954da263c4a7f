export { RequestSpan, type SpanAttributeFn, type SpanSink } from './request-span.js';
export { SofaTraceIds } from './sofa-tracer.js';
export { ListenerTracer, Tracer, type TracerOptions } from './tracer.js';
