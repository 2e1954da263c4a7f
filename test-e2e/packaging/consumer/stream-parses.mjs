// Run in an empty project where @mosn/stream is installed (from its tarball, with @mosn/protocol and @mosn/net
// under it): an HTTP/1 server on Http1ServerConnection parses a POST from node:http and answers it; the HTTP/1
// parser's fallback (undici's llhttp wasm build, a dependency) loads and passes its known-answer test.
import assert from 'node:assert/strict';
import http from 'node:http';
import { Http1ServerConnection, HttpHeaders, Listener, http1ParserCheck } from '@mosn/stream';

const seen = [];
const listener = new Listener({
  name: 'http1',
  address: { host: '127.0.0.1', port: 0 },
  filterChain: [
    {
      createFilterChain(conn) {
        const server = new Http1ServerConnection(conn, {
          onNewStream(stream) {
            let head;
            const body = [];
            return {
              onHeaders: (h) => void (head = h),
              onData(chunk, end) {
                body.push(chunk);
                if (!end) return;
                seen.push({ method: head.method, path: head.path, type: head.headers.get('content-type'), body: Buffer.concat(body).toString() });
                stream.sendResponse(201, `parsed ${head.method} ${head.path}`, new HttpHeaders(['x-parsed-by', '@mosn/stream']));
              },
              onTrailers() {},
              onReset() {},
            };
          },
        });
        conn.addReadFilter({ onData: (buffer, end) => (server.onData(buffer, end), 'stop') });
      },
    },
  ],
});
await listener.start();

const response = await new Promise((resolve, reject) => {
  const req = http.request(
    { host: '127.0.0.1', port: listener.address.port, method: 'POST', path: '/orders?id=7', headers: { 'content-type': 'text/plain' }, agent: false },
    (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, by: res.headers['x-parsed-by'], text }));
    },
  );
  req.on('error', reject);
  req.end('two items');
});
assert.deepEqual(seen, [{ method: 'POST', path: '/orders?id=7', type: 'text/plain', body: 'two items' }]);
assert.deepEqual(response, { status: 201, by: '@mosn/stream', text: 'parsed POST /orders?id=7' });
listener.stopAccepting();
listener.closeConnections();
// with MOSN_HTTP1_PARSER=wasm the check tries the wasm build ('off': Node's binding not used, the wasm one works)
process.env.MOSN_HTTP1_PARSER = 'wasm';
assert.deepEqual(await http1ParserCheck.run(), { internal: "node:_http_common HTTPParser (Node's llhttp binding)", status: 'off', instead: "undici's llhttp built to WebAssembly" });
console.log('parsed POST /orders?id=7 and answered 201; the wasm llhttp works');
