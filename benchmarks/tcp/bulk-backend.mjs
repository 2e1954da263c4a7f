// A byte source and sink for the bulk-transfer benchmark: node bulk-backend.mjs <port>
//
// Each connection starts with one line, then:
//   "PUT <n>\n" followed by n bytes -> the server counts them, answers "OK\n" and ends;
//   "GET <n>\n"                     -> the server writes n bytes (with backpressure) and ends.
// Listens on 127.0.0.1 only. Runs until SIGTERM.
import net from 'node:net';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node bulk-backend.mjs <port>');
  process.exit(2);
}
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

const server = net.createServer((socket) => {
  let head = Buffer.alloc(0);
  let mode = '';
  let remaining = 0;
  socket.on('error', () => socket.destroy());

  const onData = (data) => {
    if (mode === '') {
      head = Buffer.concat([head, data]);
      const nl = head.indexOf(10);
      if (nl < 0) {
        if (head.length > 64) socket.destroy();
        return;
      }
      const [verb, count] = head.subarray(0, nl).toString('latin1').split(' ');
      remaining = Number(count);
      if (!Number.isSafeInteger(remaining) || remaining < 0 || (verb !== 'PUT' && verb !== 'GET')) return socket.destroy();
      mode = verb;
      data = head.subarray(nl + 1);
      if (mode === 'GET') return void send();
    }
    if (mode === 'PUT') {
      remaining -= data.length;
      if (remaining <= 0) socket.end('OK\n');
    }
  };

  const send = () => {
    while (remaining > 0) {
      const piece = remaining >= CHUNK.length ? CHUNK : CHUNK.subarray(0, remaining);
      remaining -= piece.length;
      if (!socket.write(piece)) return void socket.once('drain', send);
    }
    socket.end();
  };

  socket.on('data', onData);
});

server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
