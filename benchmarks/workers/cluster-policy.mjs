// How node:cluster's two ways of sharing a listening socket compare on this machine (benchmarks/workers/run.sh):
// `rr` (SCHED_RR: the primary accepts every connection and passes it to a worker over IPC, round robin) and `none`
// (SCHED_NONE: every worker accepts on the shared socket itself: what mosn's --workers does, without cluster).
// `none-single` is `none` with libuv's UV_TCP_SINGLE_ACCEPT=1 in the workers (a worker yields the CPU after each
// accept, so that a burst of connections is not all taken by the first worker woken; mosn sets it in its workers).
// Each worker is a minimal HTTP/1.1 responder on raw `net` (a fixed 128-byte body per request head), so that the
// accept path is a large part of the cost when the client opens a connection per request.
//
//   node cluster-policy.mjs rr|none|none-single <port> <workers>
// On SIGTERM each worker prints "worker <pid> connections <n>" and the primary exits.
import cluster from 'node:cluster';
import net from 'node:net';

const [policy, port, count] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 2)];
const BODY = 'x'.repeat(128);
const KEEP = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${BODY.length}\r\ncontent-type: text/plain\r\n\r\n${BODY}`);
const CLOSE = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${BODY.length}\r\nconnection: close\r\ncontent-type: text/plain\r\n\r\n${BODY}`);

if (cluster.isPrimary) {
  cluster.schedulingPolicy = policy === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  for (let i = 0; i < count; i++) cluster.fork(policy === 'none-single' ? { UV_TCP_SINGLE_ACCEPT: '1' } : {});
  let exited = 0;
  cluster.on('exit', () => ++exited === count && process.exit(0));
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
  });
} else {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      let end;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        const head = pending.slice(0, end).toLowerCase();
        pending = pending.slice(end + 4);
        if (head.includes('connection: close')) {
          socket.end(CLOSE);
          return;
        }
        socket.write(KEEP);
      }
    });
    socket.on('error', () => {});
  });
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => {
    process.stdout.write(`worker ${process.pid} connections ${connections}\n`);
    process.exit(0);
  });
}
