import http from 'node:http';
import https from 'node:https';
import type { Counter, Logger, RequestSpan, SpanSink, Stats } from '@mosn/proxy';
import type { TracingConfig } from '../config/tracing-section.js';
import { exportRequest, requestPrefix } from './otlp-json.js';

export interface OtlpExporterOptions {
  readonly config: TracingConfig;
  readonly logger: Logger;
  /** Where `tracing.spans_exported`, `tracing.spans_dropped` and `tracing.spans_export_failed` are counted. */
  readonly stats: Stats;
  /** mosn-ts's version: the instrumentation scope's. */
  readonly version: string;
}

/** How long a graceful stop waits for the spans still queued (at most the export timeout). */
const FLUSH_ON_STOP_MS = 5000;
/** At most one "queue full" warning this often (drops are counted in between). */
const DROP_WARN_EVERY_MS = 60_000;
/** Of a collector's answer, what is read (its partialSuccess); the rest is discarded. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The runtime's span sink: a bounded queue of finished spans, sent to an OTLP/HTTP collector as JSON in batches
 * (`batch_size` spans, or what waited `batch_interval`), one request at a time, off the request path. Nothing here
 * waits on the collector: a full queue drops the span (`tracing.spans_dropped`), a batch the collector refuses or
 * does not answer within `timeout` is lost (`tracing.spans_export_failed`), and a slow or absent collector changes
 * nothing for traffic but these counters and one warning per outage. No retries (OTLP allows them; a sidecar's spans
 * are not worth the memory).
 */
export class OtlpHttpExporter implements SpanSink {
  readonly #config: TracingConfig;
  readonly #url: URL;
  readonly #prefix: string;
  readonly #agent: http.Agent;
  readonly #headers: Record<string, string>;
  readonly #log: Logger;
  readonly #exported: Counter;
  readonly #dropped: Counter;
  readonly #failed: Counter;
  #queue: RequestSpan[] = [];
  #timer: NodeJS.Timeout | undefined;
  #scheduled = false;
  /** The export under way (one at a time). */
  #sending: Promise<void> | undefined;
  #closed = false;
  /** Why the last export failed, while the collector keeps failing (one warning per outage). */
  #failing: string | undefined;
  #lastDropWarning = -Infinity;

  constructor(options: OtlpExporterOptions) {
    const config = options.config;
    this.#config = config;
    this.#url = new URL(config.url);
    this.#prefix = requestPrefix({ 'service.name': config.serviceName, ...config.resourceAttributes }, { name: 'mosn-ts', version: options.version });
    const agentOptions = { keepAlive: true, maxSockets: 1 };
    this.#agent = this.#url.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.#headers = { ...config.headers, 'content-type': 'application/json' };
    this.#log = options.logger;
    this.#exported = options.stats.counter('tracing.spans_exported');
    this.#dropped = options.stats.counter('tracing.spans_dropped');
    this.#failed = options.stats.counter('tracing.spans_export_failed');
  }

  /** Spans waiting to be sent. */
  get queued(): number {
    return this.#queue.length;
  }

  /** SpanSink: a finished span; queued, or dropped (counted) when the queue is full. Returns at once. */
  push(span: RequestSpan): void {
    const queue = this.#queue;
    if (this.#closed || queue.length >= this.#config.maxQueueSize) return this.#drop();
    queue.push(span);
    if (queue.length >= this.#config.batchSize) this.#schedule();
    else if (this.#timer === undefined && this.#sending === undefined) this.#armTimer();
  }

  /** Stop taking spans and send what is queued (for at most the export timeout, 5 s at most); the rest is dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTimer();
    const flush = (async () => {
      for (;;) {
        await this.#sending;
        if (this.#queue.length === 0) return;
        this.#sendNext();
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((r) => (timer = setTimeout(r, Math.min(this.#config.timeoutMs, FLUSH_ON_STOP_MS))));
    await Promise.race([flush, waited]);
    clearTimeout(timer);
    if (this.#queue.length > 0) this.#dropped.inc(this.#queue.length);
    this.#queue = [];
    this.#agent.destroy();
  }

  #drop(): void {
    this.#dropped.inc();
    const now = performance.now();
    if (this.#closed || now - this.#lastDropWarning < DROP_WARN_EVERY_MS) return;
    this.#lastDropWarning = now;
    this.#log.warn(
      { url: this.#config.url, maxQueueSize: this.#config.maxQueueSize },
      'tracing: the span queue is full (the collector takes spans slower than they come); spans are dropped, counted in tracing.spans_dropped',
    );
  }

  #armTimer(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#sendNext();
    }, this.#config.batchIntervalMs);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** A full batch: sent after the current task (never inside the request that finished it). */
  #schedule(): void {
    if (this.#scheduled || this.#sending !== undefined) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#sendNext();
    });
  }

  #sendNext(): void {
    if (this.#sending !== undefined || this.#queue.length === 0) return;
    this.#clearTimer();
    const n = Math.min(this.#queue.length, this.#config.batchSize);
    const batch = this.#queue.length === n ? this.#queue : this.#queue.slice(0, n);
    this.#queue = this.#queue.length === n ? [] : this.#queue.slice(n);
    this.#sending = this.#post(batch).then(() => {
      this.#sending = undefined;
      if (this.#closed) return;
      if (this.#queue.length >= this.#config.batchSize) this.#schedule();
      else if (this.#queue.length > 0) this.#armTimer();
    });
  }

  /** One export request; resolves (never rejects) once its spans are counted as exported or failed. */
  #post(batch: readonly RequestSpan[]): Promise<void> {
    const body = Buffer.from(exportRequest(this.#prefix, batch));
    const request = this.#url.protocol === 'https:' ? https.request : http.request;
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const settle = (accepted: number, failure: string | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (accepted > 0) this.#exported.inc(accepted);
        if (accepted < batch.length) this.#failed.inc(batch.length - accepted);
        this.#outcome(failure, batch.length - accepted);
        resolve();
      };
      let req: http.ClientRequest;
      try {
        req = request(this.#url, { method: 'POST', agent: this.#agent, headers: { ...this.#headers, 'content-length': String(body.length) } }, onAnswer);
      } catch (e) {
        // (the config's headers are checked when it is read: this is not expected)
        return settle(0, (e as Error).message);
      }
      req.on('error', (e: NodeJS.ErrnoException) => settle(0, e.code ?? e.message));
      timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.#config.timeoutMs} ms`)), this.#config.timeoutMs);
      req.end(body);
      function onAnswer(res: http.IncomingMessage): void {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ANSWER_BYTES) chunks.push(c);
          size += c.length;
        });
        res.on('error', (e) => settle(0, e.message));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) return settle(0, `HTTP ${status}`);
          const rejected = rejectedSpans(Buffer.concat(chunks), batch.length);
          settle(batch.length - rejected.count, rejected.count > 0 ? `the collector rejected ${rejected.count} span(s): ${rejected.message}` : undefined);
        });
      }
    });
  }

  /** One warning when exports start failing, one line when they work again. */
  #outcome(failure: string | undefined, lost: number): void {
    if (failure !== undefined) {
      if (this.#failing === undefined) {
        this.#log.warn({ url: this.#config.url, reason: failure, spans: lost }, 'tracing: export to the collector failed; its spans are lost (counted in tracing.spans_export_failed) until it accepts them again');
      }
      this.#failing = failure;
    } else if (this.#failing !== undefined) {
      this.#failing = undefined;
      this.#log.info({ url: this.#config.url }, 'tracing: the collector accepts spans again');
    }
  }
}

/** OTLP's `partialSuccess` in an answer: how many spans the collector rejected, and why. */
function rejectedSpans(answer: Buffer, sent: number): { count: number; message: string } {
  if (answer.length === 0) return { count: 0, message: '' };
  try {
    const partial = (JSON.parse(answer.toString('utf8')) as { partialSuccess?: { rejectedSpans?: unknown; errorMessage?: unknown } }).partialSuccess;
    const count = Number(partial?.rejectedSpans ?? 0);
    return { count: Number.isFinite(count) ? Math.min(Math.max(0, Math.trunc(count)), sent) : 0, message: String(partial?.errorMessage ?? '') };
  } catch {
    // a 2xx answer that is not JSON (a protobuf one, say): the spans were taken
    return { count: 0, message: '' };
  }
}
