import type { HeaderMap } from '@mosn/protocol';

/**
 * HTTP headers as the parser gave them: a flat `[name, value, name, value, ...]` array with the names in
 * their original case. Lookups are case-insensitive. Nothing is copied or lowercased up front: most
 * headers of a proxied request are only ever written out again.
 */
export class HttpHeaders implements HeaderMap {
  raw: string[];
  constructor(raw: string[] = []) {
    this.raw = raw;
  }

  get(key: string): string | undefined {
    const raw = this.raw;
    for (let i = 0; i < raw.length; i += 2) {
      if (equalsIgnoreCase(raw[i]!, key)) return raw[i + 1];
    }
    return undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Replace every header of this name with one value. */
  set(key: string, value: string): void {
    this.delete(key);
    this.raw.push(key, value);
  }

  /** Add a value, keeping any already there. */
  add(key: string, value: string): void {
    this.raw.push(key, value);
  }

  delete(key: string): void {
    const raw = this.raw;
    let w = 0;
    for (let r = 0; r < raw.length; r += 2) {
      if (equalsIgnoreCase(raw[r]!, key)) continue;
      raw[w++] = raw[r]!;
      raw[w++] = raw[r + 1]!;
    }
    raw.length = w;
  }

  forEach(fn: (value: string, key: string) => void): void {
    const raw = this.raw;
    for (let i = 0; i < raw.length; i += 2) fn(raw[i + 1]!, raw[i]!);
  }
}

/** ASCII case-insensitive equality, without allocating lowercased copies. */
export function equalsIgnoreCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const lx = x | 0x20;
    if (lx !== (y | 0x20) || lx < 97 || lx > 122) return false;
  }
  return true;
}

/** The request line and headers of an HTTP request. */
export interface HttpRequestHead {
  method: string;
  /** The request target as sent (path and query). */
  path: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1; 2 for HTTP/2. */
  versionMajor: number;
  versionMinor: number;
  headers: HttpHeaders;
  /**
   * HTTP/1: the protocol(s) the client asks to switch to (`Upgrade` with `Connection: upgrade`); the request
   * is then forwarded with them and a `101` answer turns both connections into a tunnel.
   */
  upgrade?: string;
}

/** The status line and headers of an HTTP response. */
export interface HttpResponseHead {
  status: number;
  statusMessage?: string;
  headers: HttpHeaders;
}
