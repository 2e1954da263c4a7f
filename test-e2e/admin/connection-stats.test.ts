import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { generateTestCerts } from '@mosn/net/testing';
import { cleanupAfterEach, closedPort, cluster, waitUntil } from '../helpers.js';
import { mosnConfig, pathRouter, proxyListener, startMosnProcess } from '../reload/support.js';

/*
 * What a listener's connections count (docs/operations.md, "Connections and the process"), on mosn as its own
 * process read through the admin API and the Prometheus sink: who closed each connection and why, how many are open,
 * what mosn holds for clients that do not read, TLS handshakes under way, and the process's own memory and handles.
 */

const cleanups = cleanupAfterEach();
const LIMIT = 64 * 1024;

/** A client socket, reading (so that it sees mosn's close). */
function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.resume();
    s.on('error', reject);
    cleanups.push(() => void s.destroy());
  });
}
const closed = (s: net.Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

describe('listener connection stats, mosn as its own process', () => {
  it('count who closed each connection and why (a client that leaves mid-request closed it), the connections open, and the bytes held for a client that does not read', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
    const backend = http.createServer((req, res) => {
      req.resume();
      if (req.url === '/big') res.end(big);
      else res.end('ok');
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => (backend.closeAllConnections(), backend.close(() => r()))));
    const [admin, port, tport, metrics] = [await closedPort(), await closedPort(), await closedPort(), await closedPort()];
    const address = `127.0.0.1:${(backend.address() as net.AddressInfo).port}`;
    const config = mosnConfig({
      routers: [pathRouter('r', 'c')],
      listeners: [
        { ...proxyListener('l', port, 'Http1', 'r'), connection_idle_timeout: '1s', per_connection_buffer_limit_bytes: LIMIT },
        { name: 't', address: `127.0.0.1:${tport}`, bind_port: true, filter_chains: [{ filters: [{ type: 'tcp_proxy', config: { cluster: 'c' } }] }] },
      ],
      clusters: [cluster('c', [address])],
      server: { default_log_level: 'INFO' },
      top: {
        admin: { address: { socket_address: { address: '127.0.0.1', port_value: admin } } },
        metrics: { sinks: [{ type: 'prometheus', config: { port: metrics, endpoint: '/metrics' } }] },
      },
    });
    const mosn = await startMosnProcess(config, cleanups);

    // one request, then the client closes: closed by the client
    const a = await connect(port);
    a.write('GET /ok HTTP/1.1\r\nHost: h\r\n\r\n');
    await new Promise((r) => a.once('data', r));
    a.end();
    await mosn.waitStats((s) => s['listener.l.downstream_cx_destroy_remote'] === 1, 5000, 'the client close counted');
    // half a head, then the client ends its side: it went away (not a protocol error, nothing answered)
    const half = await connect(port);
    let answered = '';
    half.on('data', (d: Buffer) => (answered += d.toString()));
    half.end('GET /half HTTP/1.1\r\nHo');
    await closed(half);
    await mosn.waitStats((s) => s['listener.l.downstream_cx_destroy_remote'] === 2, 5000, 'the second client close counted');
    expect(answered).toBe('');

    // bytes that are not HTTP: 400, closed by mosn for a protocol error
    const b = await connect(port);
    b.write('NOT HTTP AT ALL\r\n\r\n');
    await closed(b);
    // a silent client: closed by mosn when idle
    const c = await connect(port);
    await closed(c);
    let s = await mosn.waitStats(
      (x) => x['listener.l.downstream_cx_destroy_local_protocol_error'] === 1 && x['listener.l.downstream_cx_destroy_local_idle_timeout'] === 1,
      10_000,
      'the protocol error and the idle timeout counted',
    );
    expect(s['listener.l.downstream_cx_total']).toBe(4);
    expect(s['listener.l.downstream_cx_destroy']).toBe(4);
    expect(s['listener.l.downstream_cx_destroy_local']).toBe(2);
    expect(s['listener.l.downstream_protocol_error']).toBe(1);
    expect(s['listener.l.downstream_cx_active']).toBe(0);

    // a client that asks for 8 MiB and never reads: mosn holds about its buffer limit, no more
    const d = await connect(port);
    d.pause();
    d.write('GET /big HTTP/1.1\r\nHost: h\r\n\r\n');
    // and a tcp_proxy connection open meanwhile
    const e = await connect(tport);
    s = await mosn.waitStats((x) => x['listener.l.downstream_cx_tx_bytes_buffered']! > 0 && x['listener.t.downstream_cx_active'] === 1, 5000, 'bytes held for the client');
    expect(s['listener.l.downstream_cx_active']).toBe(1);
    // reads stop once the write buffer is over the limit: one read of the upstream (64 KiB) may be beyond it
    expect(s['listener.l.downstream_cx_tx_bytes_buffered']).toBeLessThanOrEqual(LIMIT + 64 * 1024);
    expect(s['listener.t.downstream_cx_tx_bytes_buffered']).toBe(0);
    expect(s['listener.t.downstream_cx_rx_bytes_buffered']).toBe(0);

    // the process's own figures
    expect(s['server.memory_rss']).toBeGreaterThan(10 * 1024 * 1024);
    expect(s['server.memory_heap_used']).toBeGreaterThan(1024 * 1024);
    expect(s['server.memory_heap_size']).toBeGreaterThanOrEqual(s['server.memory_heap_used']!);
    // at least the two listeners, the admin API, the metrics sink and the open connections
    expect(s['server.active_handles']).toBeGreaterThanOrEqual(6);
    expect(s['server.active_timers']).toBeGreaterThanOrEqual(0);

    // the levels are gauges for Prometheus, under MOSN's names
    const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    expect(text).toContain('# TYPE downstream_connection_active gauge');
    expect(text).toMatch(/^downstream_connection_active\{listener="l"\} 1$/m);
    expect(text).toContain('# TYPE downstream_bytes_write_buffered gauge');
    expect(text).toContain('# TYPE downstream_connection_destroy counter');
    expect(text).toMatch(/^mosn_listener_downstream_cx_destroy_local_idle_timeout\{listener="l"\} 1$/m);
    expect(text).toContain('# TYPE mosn_server_memory_rss gauge');
    e.destroy();
    d.destroy();
    await mosn.waitStats((x) => x['listener.l.downstream_cx_active'] === 0 && x['listener.t.downstream_cx_active'] === 0, 5000, 'both closed');
  }, 60_000);

  it('an HTTP/2 session closed for being idle counts as closed by mosn for idle_timeout, though the client ends the connection after the GOAWAY', async () => {
    const [admin, port] = [await closedPort(), await closedPort()];
    const config = mosnConfig({
      routers: [pathRouter('r', 'c')],
      listeners: [{ ...proxyListener('h', port, 'Http2', 'r'), connection_idle_timeout: '500ms' }],
      clusters: [cluster('c', ['127.0.0.1:1'])],
      server: { default_log_level: 'INFO' },
      top: { admin: { address: { socket_address: { address: '127.0.0.1', port_value: admin } } } },
    });
    const mosn = await startMosnProcess(config, cleanups);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    cleanups.push(() => void session.destroy());
    let goaway = false;
    session.on('goaway', () => (goaway = true));
    await new Promise<void>((r) => session.once('close', () => r()));
    expect(goaway).toBe(true);
    const s = await mosn.waitStats((x) => x['listener.h.downstream_cx_destroy'] === 1, 5000, 'the close counted');
    expect(s['listener.h.downstream_cx_destroy_local_idle_timeout']).toBe(1);
    expect(s['listener.h.downstream_cx_destroy_remote'] ?? 0).toBe(0);
  }, 30_000);

  it('a TLS listener counts the handshakes under way, and a client that is not TLS as a failed handshake', async () => {
    const certs = generateTestCerts();
    cleanups.push(() => certs.remove());
    const [admin, port] = [await closedPort(), await closedPort()];
    const listener = proxyListener('s', port, 'Http1', 'r');
    (listener.filter_chains as Array<Record<string, unknown>>)[0]!.tls_context = { status: true, cert_chain: certs.server.certPath, private_key: certs.server.keyPath };
    const config = mosnConfig({
      routers: [pathRouter('r', 'c')],
      listeners: [listener],
      clusters: [cluster('c', ['127.0.0.1:1'])],
      server: { default_log_level: 'INFO' },
      top: { admin: { address: { socket_address: { address: '127.0.0.1', port_value: admin } } } },
    });
    const mosn = await startMosnProcess(config, cleanups);
    // the start of a ClientHello's record, and nothing more: a handshake under way
    const slow = await connect(port);
    slow.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
    await mosn.waitStats((x) => x['listener.s.downstream_tls_handshake_active'] === 1, 5000, 'one handshake under way');
    // not TLS: a failed handshake, never a connection
    const plain = await connect(port);
    plain.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    await closed(plain);
    const s = await mosn.waitStats((x) => x['listener.s.downstream_tls_handshake_failed'] === 1, 5000, 'the failed handshake counted');
    expect(s['listener.s.downstream_cx_total'] ?? 0).toBe(0);
    expect(s['listener.s.downstream_tls_handshake_timeout'] ?? 0).toBe(0);
    slow.destroy();
    await waitUntil(async () => (await mosn.stats())['listener.s.downstream_tls_handshake_active'] === 0, 5000, 'the handshake given up');
  }, 30_000);
});
