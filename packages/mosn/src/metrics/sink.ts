import http from 'node:http';
import { formatAddress, type Address, type Logger } from '@mosn/proxy';
import { LocalHttpServer, requestTarget } from '../local-http-server.js';
import type { MetricsConfig } from '../config/metrics-section.js';
import { renderPrometheus } from './render.js';

type Snapshot = Readonly<Record<string, number>>;

/** The content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * MOSN's Prometheus sink (pkg/metrics/sink/prometheus): `GET <endpoint>` on its own port answers the runtime's stats
 * in the text exposition format, rendered at each scrape (nothing is added to the hot path: the proxy's counters
 * stay plain numbers). Any other path is 404. Off the hot path, so plain node:http.
 */
export class PrometheusSink {
  #server: LocalHttpServer | undefined;
  readonly #config: MetricsConfig;
  readonly #endpoint: string;
  readonly #snapshot: () => Snapshot | Promise<Snapshot>;
  readonly #log: Logger;

  constructor(config: MetricsConfig, snapshot: () => Snapshot | Promise<Snapshot>, logger: Logger) {
    this.#config = config;
    this.#endpoint = config.prometheus?.endpoint ?? '/metrics';
    this.#snapshot = snapshot;
    this.#log = logger.child({ component: 'metrics' });
  }

  /** Listen on `address`; a port in use (or any other bind error) is MOSN_ERR_METRICS_LISTEN, naming the sink. */
  async start(address: Address): Promise<Address> {
    const server = new LocalHttpServer('metrics sink (prometheus)', 'MOSN_ERR_METRICS_LISTEN', (req, res) => this.#handle(req, res), this.#log);
    this.#server = server;
    const bound = await server.listen(address);
    this.#log.info({ address: formatAddress(bound), endpoint: this.#endpoint }, 'prometheus metrics sink listening');
    return bound;
  }

  close(): Promise<void> {
    return this.#server?.close() ?? Promise.resolve();
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const { path } = requestTarget(req);
    const method = req.method ?? 'GET';
    if (path !== this.#endpoint) return reply(res, 404, 'text/plain; charset=utf-8', 'not found\n', method);
    if (method !== 'GET' && method !== 'HEAD') return reply(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', method);
    // the primary of workers gathers its workers' stats first
    Promise.resolve()
      .then(() => this.#snapshot())
      .then((snapshot) => renderPrometheus(snapshot, this.#config.matcher))
      .then(
        (body) => reply(res, 200, PROMETHEUS_CONTENT_TYPE, body, method),
        (err: unknown) => {
          this.#log.error({ err }, 'metrics rendering failed');
          reply(res, 500, 'text/plain; charset=utf-8', 'internal error\n', method);
        },
      );
  }
}

function reply(res: http.ServerResponse, status: number, contentType: string, body: string, method: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(method === 'HEAD' ? undefined : body);
}
