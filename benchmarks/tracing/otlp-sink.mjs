// An OTLP/HTTP collector that takes spans and throws them away: `POST /v1/traces` answered 200 `{}` at once.
// It counts export requests and spans (its `spanId` keys) and prints the totals when it is stopped (SIGTERM).
//
//   node benchmarks/tracing/otlp-sink.mjs <port>
import http from 'node:http';

const port = Number(process.argv[2]);
let requests = 0;
let spans = 0;
const server = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    requests++;
    spans += body.split('"spanId"').length - 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  console.log(`otlp-sink: ${requests} export requests, ${spans} spans`);
  process.exit(0);
});
