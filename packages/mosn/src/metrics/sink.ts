import http from 'node:http';
import { MosnError, formatAddress, type Address, type Logger } from '@mosn/proxy';
import type { MetricsConfig } from '../config/metrics-section.js';
import { renderPrometheus } from './render.js';

/** The content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * MOSN's Prometheus sink (pkg/metrics/sink/prometheus): `GET <endpoint>` on its own port answers the runtime's stats
 * in the text exposition format, rendered at each scrape (nothing is added to the hot path: the proxy's counters
 * stay plain numbers). Any other path is 404. Off the hot path, so plain node:http.
 */
export class PrometheusSink {
  #server: http.Server | undefined;
  readonly #config: MetricsConfig;
  readonly #endpoint: string;
  readonly #snapshot: () => Readonly<Record<string, number>>;
  readonly #log: Logger;

  constructor(config: MetricsConfig, snapshot: () => Readonly<Record<string, number>>, logger: Logger) {
    this.#config = config;
    this.#endpoint = config.prometheus?.endpoint ?? '/metrics';
    this.#snapshot = snapshot;
    this.#log = logger.child({ component: 'metrics' });
  }

  /** Listen on `address`; a port in use (or any other bind error) is MOSN_ERR_METRICS_LISTEN, naming the sink. */
  start(address: Address): Promise<Address> {
    const server = http.createServer((req, res) => this.#handle(req, res));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new MosnError('MOSN_ERR_METRICS_LISTEN', `metrics sink (prometheus) cannot listen on ${formatAddress(address)}: ${err.code ?? err.message}`, { cause: err })),
      );
      const ready = () => {
        server.on('error', (err) => this.#log.error({ err }, 'metrics sink error'));
        const a = server.address();
        const bound = a && typeof a === 'object' ? { host: a.address, port: a.port } : address;
        this.#log.info({ address: formatAddress(bound), endpoint: this.#endpoint }, 'prometheus metrics sink listening');
        resolve(bound);
      };
      if ('path' in address) server.listen(address.path, ready);
      else server.listen(address.port, address.host, ready);
    });
  }

  close(): Promise<void> {
    const s = this.#server;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const method = req.method ?? 'GET';
    if (path !== this.#endpoint) return reply(res, 404, 'text/plain; charset=utf-8', 'not found\n', method);
    if (method !== 'GET' && method !== 'HEAD') return reply(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', method);
    let body: string;
    try {
      body = renderPrometheus(this.#snapshot(), this.#config.matcher);
    } catch (err) {
      this.#log.error({ err }, 'metrics rendering failed');
      return reply(res, 500, 'text/plain; charset=utf-8', 'internal error\n', method);
    }
    reply(res, 200, PROMETHEUS_CONTENT_TYPE, body, method);
  }
}

function reply(res: http.ServerResponse, status: number, contentType: string, body: string, method: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(method === 'HEAD' ? undefined : body);
}
