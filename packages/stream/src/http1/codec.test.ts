import { describe, expect, it } from 'vitest';
import { HttpHeaders } from '../http-headers.js';
import { encodeRequestHead, encodeResponseHead, upgradeProtocols } from './codec.js';

describe('upgradeProtocols', () => {
  it('keeps the asked protocols except h2c', () => {
    expect(upgradeProtocols('websocket')).toBe('websocket');
    expect(upgradeProtocols('foo/2, h2c,  bar')).toBe('foo/2, bar');
    expect(upgradeProtocols('h2c')).toBeUndefined();
    expect(upgradeProtocols(' H2C ')).toBeUndefined();
    expect(upgradeProtocols('')).toBeUndefined();
    expect(upgradeProtocols(undefined)).toBeUndefined();
  });
});

describe('upgrade heads', () => {
  it('a request head keeps the upgrade as connection: upgrade + upgrade, dropping the client hop-by-hop headers', () => {
    const h = new HttpHeaders(['Host', 'h', 'Connection', 'keep-alive, Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k']);
    const text = encodeRequestHead('GET', '/ws', h, 'none', 'websocket').toString('latin1');
    expect(text).toBe('GET /ws HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Key: k\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
  });

  it('a 101 head says connection: upgrade; a closing head never does', () => {
    const h = new HttpHeaders(['Upgrade', 'foo', 'Connection', 'Upgrade']);
    expect(encodeResponseHead(1, 101, 'Switching Protocols', h, 'none', false, 'foo').toString('latin1')).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: foo\r\n\r\n',
    );
    expect(encodeResponseHead(1, 403, 'Forbidden', h, 'none', true, 'foo').toString('latin1')).toBe('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
  });
});
