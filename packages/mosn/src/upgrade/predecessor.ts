import type net from 'node:net';
import { adoptConnection, setSocketSource, type InheritedSocket, type SocketSource } from '@mosn/proxy';
import { UPGRADE_ENV, isUpgradeMessage } from './messages.js';

/** How long the new process waits for the old one to answer a socket request before it binds the address itself. */
const SOCKET_WAIT_MS = 5000;

/**
 * The new side of a hot upgrade: when this process was started by one (the environment says so and it has an IPC
 * channel), its listeners ask the old process for their sockets instead of binding. The source of those sockets
 * when that is the case (a primary of workers asks it for its workers' sockets too), else undefined.
 */
export function inheritSockets(): SocketSource | undefined {
  const from = process.env[UPGRADE_ENV];
  delete process.env[UPGRADE_ENV];
  if (from === undefined || typeof process.send !== 'function') return undefined;
  const waiting = new Map<string, (socket: InheritedSocket | undefined) => void>();
  process.on('message', (m: unknown, handle: unknown) => {
    if (!isUpgradeMessage(m)) return;
    if (m.mosn === 'connection') {
      // an open connection the old process drained: the listener on its address goes on with it
      if (!adoptConnection(m.key, handle as net.Socket)) (handle as net.Socket | undefined)?.destroy();
      return;
    }
    if (m.mosn !== 'socket') return;
    const answer = waiting.get(m.key);
    waiting.delete(m.key);
    answer?.(m.found ? (handle as InheritedSocket) : undefined);
  });
  const source: SocketSource = (key) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(key);
          resolve(undefined);
        }, SOCKET_WAIT_MS);
        waiting.set(key, (server) => {
          clearTimeout(timer);
          resolve(server);
        });
        process.send!({ mosn: 'socket?', key });
      });
  setSocketSource(source);
  return source;
}

/**
 * This process serves: tell the old one, which then drains, giving this one the connections that can go on, and
 * closes the channel when it exits (the channel does not keep this process running).
 */
export function announceReady(): void {
  setSocketSource(undefined);
  if (typeof process.send !== 'function' || !process.connected) return;
  process.send({ mosn: 'ready', pid: process.pid });
  process.channel?.unref();
}
