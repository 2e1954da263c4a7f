import http from 'node:http';
import type net from 'node:net';

// A small real OpenTelemetry collector for the tests: OTLP/HTTP with JSON bodies (the protocol's JSON mapping), on
// 127.0.0.1:0, `POST /v1/traces` only. It checks what it receives as a collector would (the path, the content type,
// the ExportTraceServiceRequest's shape: hex ids of the right length, kind, times as integer strings, typed attribute
// values) and records each span flat; anything wrong is kept in `problems`, which the tests expect to be empty.

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' when the span has none. */
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, string | number | boolean>;
  status: { code: number; message?: string } | undefined;
  resource: Record<string, string | number | boolean>;
  scope: { name: string; version?: string };
}

export interface OtlpReceiver {
  /** `127.0.0.1:<port>`, MOSN's `endpoint` form. */
  readonly endpoint: string;
  readonly port: number;
  readonly spans: ReceivedSpan[];
  /** Export requests received (answered or held). */
  readonly requests: () => number;
  /** What was wrong with what came: the tests expect none. */
  readonly problems: string[];
  /** From now on, hold every request unanswered (a collector that hangs), until `release()`. */
  hold(): void;
  release(): void;
  waitSpans(n: number, ms: number, what: string): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

const HEX = (n: number) => new RegExp(`^[0-9a-f]{${n}}$`);

function anyValue(v: any): string | number | boolean | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  if (typeof v.stringValue === 'string') return v.stringValue;
  if (typeof v.intValue === 'string' && /^-?\d+$/.test(v.intValue)) return Number(v.intValue);
  if (typeof v.intValue === 'number' && Number.isInteger(v.intValue)) return v.intValue;
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  if (typeof v.doubleValue === 'number') return v.doubleValue;
  return undefined;
}

function attributes(list: unknown, where: string, problems: string[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  if (list === undefined) return out;
  if (!Array.isArray(list)) {
    problems.push(`${where}: attributes is not an array`);
    return out;
  }
  for (const a of list) {
    const v = anyValue(a?.value);
    if (typeof a?.key !== 'string' || v === undefined) problems.push(`${where}: bad attribute ${JSON.stringify(a)}`);
    else if (a.key in out) problems.push(`${where}: attribute ${a.key} twice`);
    else out[a.key] = v;
  }
  return out;
}

/** The spans of one ExportTraceServiceRequest (OTLP JSON), each checked. */
function readRequest(body: any, problems: string[]): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  if (!Array.isArray(body?.resourceSpans)) {
    problems.push('no resourceSpans array');
    return out;
  }
  for (const rs of body.resourceSpans) {
    const resource = attributes(rs?.resource?.attributes, 'resource', problems);
    for (const ss of rs?.scopeSpans ?? []) {
      const scope = ss?.scope ?? {};
      for (const s of ss?.spans ?? []) {
        const where = `span ${s?.spanId}`;
        if (!HEX(32).test(s?.traceId) || /^0+$/.test(s.traceId)) problems.push(`${where}: traceId ${s?.traceId}`);
        if (!HEX(16).test(s?.spanId) || /^0+$/.test(s.spanId)) problems.push(`${where}: spanId`);
        if (s.parentSpanId !== undefined && s.parentSpanId !== '' && !HEX(16).test(s.parentSpanId)) problems.push(`${where}: parentSpanId ${s.parentSpanId}`);
        if (typeof s.name !== 'string' || s.name === '') problems.push(`${where}: name`);
        if (!Number.isInteger(s.kind) || s.kind < 0 || s.kind > 5) problems.push(`${where}: kind ${s.kind}`);
        for (const t of ['startTimeUnixNano', 'endTimeUnixNano']) if (!/^\d+$/.test(String(s[t]))) problems.push(`${where}: ${t} ${s[t]}`);
        const start = BigInt(/^\d+$/.test(String(s.startTimeUnixNano)) ? s.startTimeUnixNano : 0);
        const end = BigInt(/^\d+$/.test(String(s.endTimeUnixNano)) ? s.endTimeUnixNano : 0);
        if (end < start) problems.push(`${where}: ends before it starts`);
        if (s.status !== undefined && !Number.isInteger(s.status.code)) problems.push(`${where}: status ${JSON.stringify(s.status)}`);
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: start,
          endTimeUnixNano: end,
          attributes: attributes(s.attributes, where, problems),
          status: s.status,
          resource,
          scope: { name: scope.name, ...(scope.version !== undefined ? { version: scope.version } : {}) },
        });
      }
    }
  }
  return out;
}

export async function otlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const problems: string[] = [];
  let requests = 0;
  let holding = false;
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        problems.push(`${req.method} ${req.url}`);
        return res.writeHead(404).end();
      }
      if (req.headers['content-type'] !== 'application/json') {
        problems.push(`content-type ${req.headers['content-type']}`);
        return res.writeHead(415).end();
      }
      try {
        spans.push(...readRequest(JSON.parse(Buffer.concat(chunks).toString('utf8')), problems));
      } catch (e) {
        problems.push(`not JSON: ${(e as Error).message}`);
        return res.writeHead(400).end();
      }
      if (holding) return held.push(res);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const release = () => {
    holding = false;
    for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  };
  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    spans,
    requests: () => requests,
    problems,
    hold: () => (holding = true),
    release,
    async waitSpans(n, ms, what) {
      const end = Date.now() + ms;
      while (spans.length < n) {
        if (Date.now() > end) throw new Error(`${what}: ${spans.length} of ${n} spans within ${ms} ms; problems: ${problems.join('; ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return spans;
    },
    async close() {
      release();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
