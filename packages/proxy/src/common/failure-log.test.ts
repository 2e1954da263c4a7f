import { HttpHeaders, SimpleHeaderMap, type Connection, type Logger, type XFrame } from '@mosn/stream';
import { describe, expect, it } from 'vitest';
import { describeMatch, failureFields, FAILURE_LOG_BURST, http1UpstreamHint, logRequestFailure } from './failure-log.js';

interface Line {
  level: string;
  msg: string;
  [k: string]: unknown;
}

/** A pino-shaped logger: child bindings merged into each line. */
function capture(lines: Line[], bindings: Record<string, unknown> = {}, enabled = true): Logger {
  const at = (level: string) => (a: object | string, msg?: string) =>
    lines.push(typeof a === 'string' ? { level, ...bindings, msg: a } : { level, ...bindings, ...a, msg: msg ?? '' });
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (b) => capture(lines, { ...bindings, ...b }, enabled),
    isLevelEnabled: () => enabled,
  };
}

function conn(log: Logger, remoteAddress = '127.0.0.1', remotePort = 50000): Connection {
  return { log, remoteAddress, remotePort } as unknown as Connection;
}

describe('failure log line', () => {
  it('carries every field as a binding and the readable message as msg', () => {
    const lines: Line[] = [];
    const log = capture(lines).child({ listener: 'ingress', connId: 7 });
    const head = { method: 'GET', path: '/api/users?token=secret', versionMajor: 1, versionMinor: 1, headers: new HttpHeaders(['host', 'example.com']) };
    logRequestFailure(conn(log), {
      protocol: 'Http1',
      reason: 'connect_failed',
      message: 'upstream connect failed',
      request: head,
      route: { prefix: '/api', headers: [{ name: 'x-env', value: 'prod' }] },
      cluster: 'users',
      host: '10.0.0.5:8080',
    });
    expect(lines).toEqual([
      {
        level: 'warn',
        listener: 'ingress',
        connId: 7,
        downstream: '127.0.0.1:50000',
        protocol: 'Http1',
        request: 'GET example.com/api/users',
        route: 'prefix /api header x-env=prod',
        cluster: 'users',
        host: '10.0.0.5:8080',
        reason: 'connect_failed',
        msg: 'request failed: upstream connect failed',
      },
    ]);
  });

  it('describes RPC requests by service and method, IPv6 peers in brackets, and leaves out what is unknown', () => {
    const frame = { kind: 'request', header: new SimpleHeaderMap([['service', 'com.x.Foo:1.0'], ['method', 'bar']]) } as unknown as XFrame;
    const fields = failureFields(conn(capture([]), '::1', 1234), { protocol: 'bolt', reason: 'no_route', message: 'no route matched', request: frame });
    expect(fields).toEqual({ downstream: '[::1]:1234', protocol: 'bolt', request: 'com.x.Foo:1.0 bar', reason: 'no_route' });
    expect(failureFields(conn(capture([])), { protocol: 'TCP', reason: 'no_route', message: 'x', route: 'source 10.0.0.0/8' }, 3)).toMatchObject({
      route: 'source 10.0.0.0/8',
      suppressed: 3,
    });
  });

  it('writes nothing, and takes nothing from the rate limit, when warn is disabled', () => {
    const lines: Line[] = [];
    const off = conn(capture(lines, {}, false));
    for (let i = 0; i < FAILURE_LOG_BURST * 2; i++) logRequestFailure(off, { protocol: 'Http1', reason: 'no_route', message: 'no route matched' });
    expect(lines).toEqual([]);
    logRequestFailure(conn(capture(lines)), { protocol: 'Http1', reason: 'no_route', message: 'no route matched' });
    expect(lines).toHaveLength(1);
  });

  it('says a route match in a few words', () => {
    expect(describeMatch({ headers: [] })).toBe('any');
    expect(describeMatch({ path: '/x', headers: [{ name: 'service', value: '', regex: /^com\.a\./ }] })).toBe('path /x header service~^com\\.a\\.');
    expect(describeMatch({ regex: /^\/v[0-9]+\//, headers: [] })).toBe('regex ^\\/v[0-9]+\\/');
    expect(describeMatch({ prefix: '/' + 'a'.repeat(300), headers: [] })).toHaveLength(120);
  });

  it('names the setting in the h2c hint', () => {
    expect(http1UpstreamHint(true)).toContain('"upstream_protocol": "Http2"');
    expect(http1UpstreamHint(true)).toContain('closed the connection without answering');
  });
});
