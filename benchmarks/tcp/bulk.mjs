// Bulk-transfer client: pushes (PUT) or pulls (GET) a fixed number of MiB through 127.0.0.1:<port> over one or more
// parallel connections, against bulk-backend.mjs (directly or through a TCP proxy), and prints one JSON line:
//   {"dir":"up","streams":1,"mib":1024,"seconds":1.23,"mibPerSec":832.5}
//
//   node bulk.mjs <port> <up|down> <MiB per stream> [streams=1] [timeout seconds=60]
//
// The clock runs from the first connect to the last stream done (for "up": the backend's "OK" after it counted every
// byte, so bytes buffered in a proxy are not counted as delivered). Exits 1 on error, short data or timeout.
import net from 'node:net';

const [portArg, dir, mibArg, streamsArg = '1', timeoutArg = '60'] = process.argv.slice(2);
const port = Number(portArg);
const mib = Number(mibArg);
const streams = Number(streamsArg);
const timeoutS = Number(timeoutArg);
if (!port || (dir !== 'up' && dir !== 'down') || !(mib > 0) || !(streams >= 1)) {
  console.error('usage: node bulk.mjs <port> <up|down> <MiB per stream> [streams=1] [timeout seconds=60]');
  process.exit(2);
}
const bytes = Math.round(mib * 1024 * 1024);
const CHUNK = Buffer.alloc(64 * 1024, 0x62);

function one() {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    let received = 0;
    let reply = '';
    socket.on('error', reject);
    socket.on('connect', () => {
      if (dir === 'down') {
        socket.write(`GET ${bytes}\n`);
        return;
      }
      socket.write(`PUT ${bytes}\n`);
      let left = bytes;
      const pump = () => {
        while (left > 0) {
          const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
          left -= piece.length;
          if (!socket.write(piece)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    socket.on('data', (d) => {
      if (dir === 'down') received += d.length;
      else reply += d.toString('latin1');
    });
    socket.on('end', () => {
      socket.end();
      if (dir === 'down' && received !== bytes) return reject(new Error(`short read: ${received} of ${bytes} bytes`));
      if (dir === 'up' && reply !== 'OK\n') return reject(new Error(`backend answered ${JSON.stringify(reply)}, expected "OK\\n"`));
      resolve();
    });
  });
}

const timer = setTimeout(() => {
  console.error(`bulk ${dir}: not done after ${timeoutS}s`);
  process.exit(1);
}, timeoutS * 1000);

const start = process.hrtime.bigint();
try {
  await Promise.all(Array.from({ length: streams }, one));
} catch (err) {
  console.error(`bulk ${dir}: ${err.message}`);
  process.exit(1);
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
clearTimeout(timer);
const total = mib * streams;
console.log(JSON.stringify({ dir, streams, mib: total, seconds: Number(seconds.toFixed(3)), mibPerSec: Number((total / seconds).toFixed(1)) }));
