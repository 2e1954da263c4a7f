// A child of run.mjs that holds a share of the idle connections (one process cannot hold them all under a
// default fd limit). Driven over the IPC channel:
//   {cmd: 'open', port, count, concurrency} -> opens `count` TCP connections to 127.0.0.1:port, sends nothing;
//                                              answers {opened, failed, errors}
//   {cmd: 'request', concurrency}           -> one "GET /" on every open connection, reads the whole response,
//                                              leaves the connection open; answers {ok, failed, statuses, errors}
//   {cmd: 'status'}                         -> answers {open, closedByPeer} (closed by mosn, not by us)
//   {cmd: 'closeAll'}                       -> destroys every connection, resets the counts; answers {closed}
//   {cmd: 'exit'}                           -> destroys every connection and exits
import net from 'node:net';

let sockets = [];
let closedByPeer = 0;
const errors = new Map();
const countError = (e) => errors.set(e.code ?? e.message, (errors.get(e.code ?? e.message) ?? 0) + 1);

/** Run `task(i)` for i in [0, n) with at most `limit` in flight. */
async function pool(n, limit, task) {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

function open(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      sockets.push(s);
      s.on('close', () => {
        if (!s.closedByUs) closedByPeer++;
      });
      resolve(true);
    });
    s.on('error', (e) => {
      countError(e);
      resolve(false);
    });
  });
}

/** One request on an open socket; resolves with the status code (0 on failure) once the body is complete. */
function request(s) {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve(0);
    let buf = Buffer.alloc(0);
    const done = (status) => {
      s.off('data', onData);
      s.off('close', onClose);
      resolve(status);
    };
    const onClose = () => done(0);
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const status = Number(head.slice(9, 12));
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!m) return done(status); // not expected from our backend; count the status and move on
      if (buf.length >= end + 4 + Number(m[1])) done(status);
    };
    s.on('data', onData);
    s.once('close', onClose);
    s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  });
}

function closeAll() {
  for (const s of sockets) {
    s.closedByUs = true;
    s.destroy();
  }
  const n = sockets.length;
  sockets = [];
  closedByPeer = 0;
  errors.clear();
  return n;
}

process.on('message', async (msg) => {
  if (msg.cmd === 'open') {
    let opened = 0;
    await pool(msg.count, msg.concurrency, async () => {
      if (await open(msg.port)) opened++;
    });
    process.send({ opened, failed: msg.count - opened, errors: Object.fromEntries(errors) });
  } else if (msg.cmd === 'request') {
    const statuses = {};
    let ok = 0;
    await pool(sockets.length, msg.concurrency, async (i) => {
      const st = await request(sockets[i]);
      statuses[st] = (statuses[st] ?? 0) + 1;
      if (st >= 200 && st < 300) ok++;
    });
    process.send({ ok, failed: sockets.length - ok, statuses, errors: Object.fromEntries(errors) });
  } else if (msg.cmd === 'status') {
    process.send({ open: sockets.filter((s) => !s.destroyed).length, closedByPeer });
  } else if (msg.cmd === 'closeAll') {
    const closed = closeAll();
    process.send({ closed });
  } else if (msg.cmd === 'exit') {
    closeAll();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
