import type { Connection, HttpRequestHead } from '@mosn/stream';

/** What a variable of one HTTP request can read. */
export interface RequestVars {
  readonly request: HttpRequestHead;
  readonly downstream: Connection;
  readonly protocol: string;
  /** `ip:port` of the upstream host, once one is chosen. */
  readonly upstreamHost: string | undefined;
  readonly upstreamCluster: string | undefined;
}

export type VariableGetter = (v: RequestVars) => string | undefined;

/** `ip:port`, `[ipv6]:port`; undefined without an address. */
export function hostPort(ip: string | undefined, port: number | undefined): string | undefined {
  if (ip === undefined) return undefined;
  return ip.includes(':') ? `[${ip}]:${port ?? 0}` : `${ip}:${port ?? 0}`;
}

/** A request target's path (before `?`). */
export function pathOf(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}

/** A request target's query string (after `?`; empty without one). */
export function queryOf(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? '' : target.slice(q + 1);
}

/** MOSN's variable names (pkg/types/variable.go) that mosn-ts knows, without the protocol-prefixed ones. */
const FIXED: Record<string, VariableGetter> = {
  downstream_remote_address: (v) => hostPort(v.downstream.remoteAddress, v.downstream.remotePort),
  downstream_local_address: (v) => hostPort(v.downstream.localAddress, v.downstream.localPort),
  upstream_host: (v) => v.upstreamHost,
  upstream_cluster: (v) => v.upstreamCluster,
  protocol: (v) => v.protocol,
  'x-mosn-host': (v) => v.request.headers.get('host'),
  'x-mosn-path': (v) => pathOf(v.request.path),
  'x-mosn-method': (v) => v.request.method,
  'x-mosn-querystring': (v) => queryOf(v.request.path),
};

/** `<Protocol>_request_<x>` (MOSN's `Http1_request_path` and friends), for Http1 and Http2. */
const PROTOCOL_VARS: Record<string, VariableGetter> = {
  request_path: (v) => pathOf(v.request.path),
  request_uri: (v) => v.request.path,
  request_method: (v) => v.request.method,
  request_arg: (v) => queryOf(v.request.path),
  request_scheme: () => 'http',
};

const REQUEST_HEADER = 'request_header_';

/** Getters found by name (a filter asks for the same few names on every request); bounded. */
const FOUND = new Map<string, VariableGetter | undefined>();
const MAX_FOUND = 1024;

/** The getter for a MOSN variable name, or undefined when mosn-ts does not know the variable. */
export function variableGetter(name: string): VariableGetter | undefined {
  let getter = FOUND.get(name);
  if (getter === undefined && !FOUND.has(name)) {
    getter = findGetter(name);
    if (FOUND.size < MAX_FOUND) FOUND.set(name, getter);
  }
  return getter;
}

function findGetter(name: string): VariableGetter | undefined {
  const fixed = FIXED[name];
  if (fixed) return fixed;
  if (name.startsWith(REQUEST_HEADER) && name.length > REQUEST_HEADER.length) {
    const header = name.slice(REQUEST_HEADER.length);
    return (v) => v.request.headers.get(header);
  }
  const m = /^(Http1|Http2)_(request_\w+)$/.exec(name);
  return m ? PROTOCOL_VARS[m[2]!] : undefined;
}

/** The names `variableGetter` knows (for docs and messages); `request_header_<name>` stands for a family. */
export const KNOWN_VARIABLES = [...Object.keys(FIXED), 'request_header_<name>', ...Object.keys(PROTOCOL_VARS).map((k) => `Http1_${k}`)];
