// A provider process's registry session, as its own process: `node registrar.mjs <zookeeper> <node path>...` makes
// each path an ephemeral node (parents persistent), prints `registered`, and keeps the session. SIGTERM closes the
// session (ZooKeeper removes the nodes at once: a graceful stop); SIGKILL leaves them until the session expires.
import zookeeper from 'node-zookeeper-client';

const [address, ...paths] = process.argv.slice(2);
const client = zookeeper.createClient(address, { sessionTimeout: 2000, spinDelay: 200 });
// node-zookeeper-client 1.1.3 parses a new socket's bytes after a stale partial frame of the old one and throws from
// the socket event: the same guard as @mosn/registry-zookeeper's ZkSession (a ZooKeeper restart must not end us)
const cm = client.connectionManager;
const onData = cm.onSocketData;
const onClosed = cm.onSocketClosed;
cm.onSocketData = function (buffer) {
  try {
    onData.call(this, buffer);
  } catch {
    this.pendingBuffer = null;
    this.socket?.destroy();
  }
};
cm.onSocketClosed = function (hadError) {
  this.pendingBuffer = null;
  onClosed.call(this, hadError);
};
const call = (fn) => new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
let done = false;
client.on('connected', async () => {
  if (done) return;
  done = true;
  try {
    for (const path of paths) {
      await call((cb) => client.mkdirp(path.slice(0, path.lastIndexOf('/')), cb));
      await call((cb) => client.create(path, Buffer.alloc(0), zookeeper.CreateMode.EPHEMERAL, cb));
    }
    process.stdout.write('registered\n');
  } catch (e) {
    process.stderr.write(`registrar: ${e}\n`);
    process.exit(1);
  }
});
process.on('SIGTERM', () => {
  client.once('disconnected', () => process.exit(0));
  client.close();
  setTimeout(() => process.exit(0), 2000).unref();
});
client.connect();
