/**
 * Request methods by llhttp's method number (its `llhttp_method` enum, the `method` argument of kOnHeadersComplete),
 * the same in every llhttp build. Node's own `methods` list (`node:_http_common`) is not indexed by that number past
 * SOURCE (33): it leaves out the RTSP methods, so QUERY (46) is its 35th entry.
 */
export const METHODS: readonly string[] = [
  'DELETE', 'GET', 'HEAD', 'POST', 'PUT', 'CONNECT', 'OPTIONS', 'TRACE', 'COPY', 'LOCK', 'MKCOL', 'MOVE', 'PROPFIND',
  'PROPPATCH', 'SEARCH', 'UNLOCK', 'BIND', 'REBIND', 'UNBIND', 'ACL', 'REPORT', 'MKACTIVITY', 'CHECKOUT', 'MERGE',
  'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'PATCH', 'PURGE', 'MKCALENDAR', 'LINK', 'UNLINK', 'SOURCE',
  'PRI', // the HTTP/2 preface's (`PRI * HTTP/2.0`)
  // RTSP's: llhttp reads them only as RTSP, never in HTTP/1
  'DESCRIBE', 'ANNOUNCE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER', 'REDIRECT',
  'RECORD', 'FLUSH',
  'QUERY',
];

/** llhttp's number of a method name. */
export const METHOD_NUMBER: ReadonlyMap<string, number> = new Map(METHODS.map((m, i) => [m, i]));
