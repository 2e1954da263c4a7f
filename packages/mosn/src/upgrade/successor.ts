import { fork, type ChildProcess } from 'node:child_process';
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { listeningSocket, setConnectionTaker, type InheritedSocket, type Logger } from '@mosn/proxy';
import { UPGRADE_ENV, isUpgradeMessage } from './messages.js';

/** How long a new process may take to serve before the upgrade is given up (it is then stopped). */
export const UPGRADE_TIMEOUT_MS = 60_000;

/** How long the old process waits, before it exits, for the connections it gives away to arrive. */
const HAND_OFF_WAIT_MS = 5000;

/** The new process, once it serves: connections the old one drains go to it, open, until the old one exits. */
let successor: { child: ChildProcess; sending: number } | undefined;

/**
 * The old side of a hot upgrade (SIGUSR2, `mosn upgrade`): start a new mosn with this process's own command line,
 * detached so that it outlives this one, give it each listening socket it asks for, and resolve true once it says it
 * serves (this process then stops gracefully, giving it the connections that can go on: see Connection.handOff).
 * False when it exits first (a bad config, a port it cannot get) or does not serve within `timeoutMs`: this process
 * keeps serving, as if nothing had happened. `socketOf` finds the socket of a key (the primary of workers: its own
 * store of bound sockets, then its admin and metrics servers).
 */
export function startSuccessor(logger: Logger, timeoutMs = UPGRADE_TIMEOUT_MS, socketOf: (key: string) => InheritedSocket | undefined = listeningSocket, env: Record<string, string> = {}): Promise<boolean> {
  const log = logger.child({ component: 'upgrade' });
  let child: ChildProcess;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, [UPGRADE_ENV]: String(process.pid) };
  // its parent is this process, which exits: it must not take that for a package manager gone (signals.ts)
  delete childEnv['npm_lifecycle_event'];
  try {
    child = fork(process.argv[1]!, process.argv.slice(2), {
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: process.execArgv,
      env: childEnv,
    });
  } catch (err) {
    log.error({ err }, 'hot upgrade failed: cannot start a new mosn process; this one keeps serving');
    return Promise.resolve(false);
  }
  log.info({ pid: child.pid }, 'hot upgrade: new mosn process started; handing over the listening sockets it asks for');
  return new Promise((resolve) => {
    let given = 0;
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.unref();
      if (ok) takeConnections(child, log);
      else {
        child.removeAllListeners('message');
        if (child.connected) child.disconnect();
      }
      resolve(ok);
    };
    const timer = setTimeout(() => {
      log.error({ pid: child.pid, timeoutMs }, 'hot upgrade failed: the new process did not serve in time; it is stopped and this one keeps serving');
      child.kill('SIGTERM');
      finish(false);
    }, timeoutMs);
    child.on('message', (m: unknown) => {
      if (!isUpgradeMessage(m)) return;
      if (m.mosn === 'socket?') {
        const server = socketOf(m.key);
        if (server) given++;
        // a bound handle goes as Node's native handle (child_process sends those as they are)
        child.send({ mosn: 'socket', key: m.key, found: server !== undefined }, server as net.Server | undefined, (err) => {
          if (err) log.warn({ err, key: m.key }, 'could not hand a listening socket over; the new process binds it itself');
        });
      } else if (m.mosn === 'ready') {
        log.info({ pid: m.pid, sockets: given }, 'hot upgrade: the new process serves; this one stops accepting and drains');
        finish(true);
      }
    });
    child.on('exit', (code, signal) => {
      log.error({ pid: child.pid, code, signal }, 'hot upgrade failed: the new process exited before it served (its log says why); this one keeps serving');
      finish(false);
    });
  });
}

/** Draining connections that can go on are sent to the new process (it adopts them on the same listen address). */
function takeConnections(child: ChildProcess, log: Logger): void {
  const s = { child, sending: 0 };
  successor = s;
  child.channel?.unref();
  setConnectionTaker((key, socket) => {
    if (!child.connected) return false;
    s.sending++;
    child.send({ mosn: 'connection', key }, socket, (err) => {
      s.sending--;
      if (err) log.warn({ err: { message: err.message }, key }, 'a connection could not be given to the new process; it is closed');
    });
    return true;
  });
}

/** Before this process exits: let the connections being given away arrive (bounded), then close the channel. */
export async function handOffsSettled(): Promise<void> {
  const s = successor;
  if (!s) return;
  setConnectionTaker(undefined);
  for (let waited = 0; s.sending > 0 && waited < HAND_OFF_WAIT_MS; waited += 20) await sleep(20);
  if (s.child.connected) s.child.disconnect();
  successor = undefined;
}
