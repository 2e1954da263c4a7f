// Run in an empty project where only @mosn/net is installed (from its tarball): a Listener accepts a TCP
// connection, and the connection's read filter answers what it read.
import assert from 'node:assert/strict';
import net from 'node:net';
import { Listener } from '@mosn/net';

const accepted = [];
const listener = new Listener({
  name: 'echo',
  address: { host: '127.0.0.1', port: 0 },
  filterChain: [
    {
      createFilterChain(conn) {
        accepted.push(conn);
        conn.addReadFilter({
          onData(buffer) {
            if (buffer.length > 0) conn.write(Buffer.from(`echo: ${buffer.takeAll().toString()}`));
            return 'stop';
          },
        });
      },
    },
  ],
});
await listener.start();

const reply = await new Promise((resolve, reject) => {
  const socket = net.connect(listener.address.port, '127.0.0.1', () => socket.end('hello'));
  let text = '';
  socket.on('data', (chunk) => (text += chunk));
  socket.on('close', () => resolve(text));
  socket.on('error', reject);
});
assert.equal(reply, 'echo: hello');
assert.equal(accepted.length, 1);
listener.stopAccepting();
listener.closeConnections();
console.log('accepted 1 connection and answered "echo: hello"');
