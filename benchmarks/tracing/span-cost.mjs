// The CPU cost of tracing one HTTP request, in this process: mosn-ts's tracer (what DownstreamRequest calls, and
// the OTLP/JSON body its exporter POSTs, one per 512 spans) against the OpenTelemetry JS SDK doing the same work
// (W3C propagator extract and inject, a SERVER span with the same attributes, BatchSpanProcessor, the SDK's
// OTLP/JSON serializer to bytes), both against the bare loop (building the request head only). No network: the
// export bodies are made and dropped. Rounds alternate the three, so a busy machine slows all alike. Usage (benchmarks/tracing/run.sh installs the SDK and passes its folder):
//
//   node benchmarks/tracing/span-cost.mjs <folder with node_modules/@opentelemetry/...> [requests per round]
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const repo = new URL('../../', import.meta.url);
const { HttpHeaders, Tracer } = await import(new URL('packages/proxy/dist/index.js', repo));
const { exportRequest, requestPrefix } = await import(new URL('packages/mosn/dist/tracing/otlp-json.js', repo));

const sdkDir = process.argv[2];
if (!sdkDir) throw new Error('usage: span-cost.mjs <folder with the OpenTelemetry SDK installed> [n]');
const N = Number(process.argv[3] ?? 200_000);
const req = createRequire(pathToFileURL(`${sdkDir}/package.json`));
const api = req('@opentelemetry/api');
const { BasicTracerProvider, BatchSpanProcessor } = req('@opentelemetry/sdk-trace-base');
const { W3CTraceContextPropagator } = req('@opentelemetry/core');
const { resourceFromAttributes } = req('@opentelemetry/resources');
const { JsonTraceSerializer } = req('@opentelemetry/otlp-transformer');
const sdkVersion = req('@opentelemetry/sdk-trace-base/package.json').version;

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const connection = { remoteAddress: '127.0.0.1', remotePort: 40000 };
const stream = { protocol: 'Http1', connection };
const responseHeaders = new HttpHeaders(['content-length', '2']);
const newHead = (i) => ({
  method: 'GET',
  path: `/item/${i & 1023}?q=1`,
  versionMajor: 1,
  versionMinor: 1,
  headers: new HttpHeaders(['host', 'example.com', 'user-agent', 'wrk', 'traceparent', TRACEPARENT]),
});

let sink = 0; // keeps results alive

// --- mosn-ts
const batch = [];
const prefix = requestPrefix({ 'service.name': 'bench' }, { name: 'mosn-ts', version: '0' });
const mosnTracer = new Tracer({
  sampleRate: 1,
  sink: {
    push(span) {
      batch.push(span);
      if (batch.length === 512) {
        sink += Buffer.from(exportRequest(prefix, batch)).length; // the body the exporter POSTs
        batch.length = 0;
      }
    },
  },
}).listener('bench');
function mosnRequest(i) {
  const head = newHead(i);
  const span = mosnTracer.startHttp(head, stream);
  span.upstream('backend', '127.0.0.1:8080');
  span.response(200, responseHeaders);
  span.end();
}

// --- OpenTelemetry JS SDK
const exporter = {
  export(spans, done) {
    sink += JsonTraceSerializer.serializeRequest(spans).length;
    done({ code: 0 });
  },
  shutdown: async () => {},
};
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'bench' }),
  spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 5000 })],
});
const sdkTracer = provider.getTracer('mosn-ts');
const propagator = new W3CTraceContextPropagator();
const getter = { get: (h, k) => h.get(k), keys: (h) => h.raw.filter((_, i) => i % 2 === 0) };
const setter = { set: (h, k, v) => h.set(k, v) };
function sdkRequest(i) {
  const head = newHead(i);
  const parent = propagator.extract(api.ROOT_CONTEXT, head.headers, getter);
  const q = head.path.indexOf('?');
  const span = sdkTracer.startSpan(
    head.method,
    {
      kind: api.SpanKind.SERVER,
      attributes: {
        'mosn.listener': 'bench',
        'network.protocol.name': 'http',
        'network.protocol.version': '1.1',
        'client.address': connection.remoteAddress,
        'client.port': connection.remotePort,
        'http.request.method': head.method,
        'url.path': q < 0 ? head.path : head.path.slice(0, q),
        'server.address': head.headers.get('host'),
      },
    },
    parent,
  );
  propagator.inject(api.trace.setSpan(api.ROOT_CONTEXT, span), head.headers, setter);
  span.setAttributes({ 'mosn.upstream.cluster': 'backend', 'mosn.upstream.host': '127.0.0.1:8080', 'mosn.upstream.attempts': 1 });
  span.setAttribute('http.response.status_code', 200);
  span.end();
}

// --- the bare loop
function bareRequest(i) {
  sink += newHead(i).headers.raw.length;
}

/**
 * CPU ns per request over `n` requests (user + system time of the process, its GC threads included: what the
 * requests cost, however busy the machine is), yielding to the event loop every 1,000 (the SDK's timers run).
 */
async function measure(fn, n) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    fn(i);
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

const targets = { bare: bareRequest, 'mosn-ts': mosnRequest, 'otel-sdk': sdkRequest };
for (const fn of Object.values(targets)) await measure(fn, 50_000); // warm-up (JIT)
const rounds = { bare: [], 'mosn-ts': [], 'otel-sdk': [] };
for (let r = 0; r < 5; r++) for (const [name, fn] of Object.entries(targets)) rounds[name].push(await measure(fn, N));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const bare = median(rounds.bare);
console.log(`node ${process.version}, @opentelemetry/sdk-trace-base ${sdkVersion}, ${N} requests x 5 rounds, CPU time (medians)`);
for (const name of Object.keys(targets)) {
  const m = median(rounds[name]);
  console.log(`${name.padEnd(9)} ${m.toFixed(0).padStart(6)} ns/request${name === 'bare' ? '' : `  tracing: ${(m - bare).toFixed(0).padStart(5)} ns`}  (rounds: ${rounds[name].map((x) => x.toFixed(0)).join(' ')})`);
}
await provider.shutdown();
if (sink === 0) console.log('');
