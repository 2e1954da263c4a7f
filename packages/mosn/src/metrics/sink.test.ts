import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MosnError, silentLogger } from '@mosn/proxy';
import { PROMETHEUS_CONTENT_TYPE, PrometheusSink } from './sink.js';

const CONFIG = { prometheus: { host: '127.0.0.1', port: 0, endpoint: '/metrics' }, matcher: { rejectAll: false, exclusionLabels: [], exclusionKeys: [] } };
const sinks: PrometheusSink[] = [];
afterEach(async () => {
  for (const s of sinks.splice(0)) await s.close();
});

describe('PrometheusSink', () => {
  it('answers GET <endpoint> with the text format, rendered at each scrape; other paths 404', async () => {
    let n = 1;
    const sink = new PrometheusSink(CONFIG, () => ({ 'listener.l.downstream_rq_total': n }), silentLogger);
    sinks.push(sink);
    const { port } = (await sink.start({ host: '127.0.0.1', port: 0 })) as { port: number };
    const first = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(await first.text()).toContain('downstream_request_total{listener="l"} 1\n');
    n = 7;
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics?x=1`)).text()).toContain('downstream_request_total{listener="l"} 7\n');
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('a port in use fails start with MOSN_ERR_METRICS_LISTEN naming the sink', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as net.AddressInfo).port;
    const sink = new PrometheusSink(CONFIG, () => ({}), silentLogger);
    sinks.push(sink);
    const err = await sink.start({ host: '127.0.0.1', port }).catch((e: unknown) => e);
    busy.close();
    expect(err).toBeInstanceOf(MosnError);
    expect((err as MosnError).code).toBe('MOSN_ERR_METRICS_LISTEN');
    expect((err as MosnError).message).toBe(`metrics sink (prometheus) cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
  });
});
