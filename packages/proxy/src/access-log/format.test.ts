import { describe, expect, it } from 'vitest';
import { HttpHeaders, SimpleHeaderMap, type Connection } from '@mosn/stream';
import { DEFAULT_ACCESS_LOG_FORMAT, compileAccessLogFormat, formatLine, formatStartTime, goDuration } from './format.js';
import { RequestLog, type AccessLogSink } from './request-log.js';

const conn = { id: 7, remoteAddress: '10.0.0.1', remotePort: 5000, localAddress: '127.0.0.1', localPort: 2045 } as unknown as Connection;

function line(format: string, fill: (r: RequestLog) => void, protocol = 'Http1'): string {
  const lines: string[] = [];
  const sink: AccessLogSink = { write: (l) => lines.push(l) };
  const r = new RequestLog([{ format: compileAccessLogFormat(format), sink }], conn, protocol);
  fill(r);
  r.end();
  r.end(); // once
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('compileAccessLogFormat', () => {
  it("parses MOSN's way: text and variables, \\% kept, unknown names as '-', errors for %% and an unclosed %", () => {
    const f = compileAccessLogFormat('a %protocol% b \\% c %nope% d%bytes_sent%');
    expect(f.parts.filter((p) => typeof p === 'string')).toEqual(['a ', ' b \\% c - d']);
    expect(f.unknown).toEqual(['nope']);
    expect(() => compileAccessLogFormat('x %% y')).toThrow(/empty variable/);
    expect(() => compileAccessLogFormat('x %protocol')).toThrow(/unclosed/);
    expect(compileAccessLogFormat('').parts).toEqual(compileAccessLogFormat(DEFAULT_ACCESS_LOG_FORMAT).parts.map(() => expect.anything()));
    expect(compileAccessLogFormat(DEFAULT_ACCESS_LOG_FORMAT).unknown).toEqual([]);
  });

  it('prints what the request recorded, and - for what it has not', () => {
    const head = { versionMajor: 1, versionMinor: 1, method: 'POST', path: '/p/q?a=1&b=2', headers: new HttpHeaders(['x-id', 'abc', 'cookie', 's=9; t=1', 'host', 'h']) };
    const text = line(
      '%protocol% %response_code% %bytes_received% %bytes_sent% %upstream_host% %upstream_cluster% %response_flag% %upstream_transport_failure_reason% ' +
        '%request_header_x-id% %request_header_none% %response_header_server% %downstream_remote_address% %downstream_local_address% %connection_id% ' +
        '%x-mosn-path% %x-mosn-method% %Http1_request_uri% %Http1_request_arg_b% %Http1_cookie_s% %Http2_request_path%',
      (r) => {
        r.http = head;
        r.requestHeaders = head.headers;
        r.responseHeaders = new HttpHeaders(['server', 'up']);
        r.responseCode = 201;
        r.bytesReceived = 5;
        r.bytesSent = 12;
        r.upstreamHost = '127.0.0.1:8080';
        r.upstreamCluster = 'c';
      },
    );
    expect(text).toBe('Http1 201 5 12 127.0.0.1:8080 c false - abc - up 10.0.0.1:5000 127.0.0.1:2045 7 /p/q POST /p/q?a=1&b=2 2 9 -\n');
  });

  it('a reply by mosn sets the code and the flag; RPC headers are the frame header map', () => {
    const text = line('%response_code% %response_flag% %upstream_transport_failure_reason% %request_header_service% %x-mosn-path%', (r) => {
      r.requestHeaders = new SimpleHeaderMap(new Map([['service', 'com.Foo']]));
      r.reply(504, 'timeout', 0);
    }, 'bolt');
    expect(text).toBe('504 true timeout com.Foo -\n');
  });

  it('durations as Go prints them, start time as MOSN', () => {
    expect([0, 0.000123, 0.85, 1.5, 12.345678, 2500, 61_500, 3_600_000].map(goDuration)).toEqual(['0s', '123ns', '850µs', '1.5ms', '12.345678ms', '2.5s', '1m1.5s', '1h0m0s']);
    expect(formatStartTime(new Date(2026, 0, 2, 3, 4, 5, 6).getTime())).toBe('2026/01/02 03:04:05.006');
    const text = line('%start_time%|%duration%|%request_received_duration%', () => undefined);
    expect(text).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{3}\|[\d.]+(ns|µs|ms|s)\|-\n$/);
  });
});
