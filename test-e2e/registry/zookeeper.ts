import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// A real ZooKeeper (Debian's `zookeeper` package, Apache ZooKeeper 3.8 on Java 17) as a child process of the test:
// standalone, on 127.0.0.1 and a free port, a temporary dataDir, session timeouts between 1 and 3 s (a killed
// client's ephemeral nodes go within 3 s). `scripts/run-tests.mjs` installs the package when it is missing and the
// tests run as root with apt-get; otherwise `startZooKeeper` fails saying how to get it.

/** The jar of Debian's zookeeper package: its manifest's Class-Path names its dependencies (slf4j, netty, jline, ...). */
export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';

export interface ZooKeeper {
  readonly port: number;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** Running (started, not stopped or killed). */
  running(): boolean;
  /** SIGTERM, and wait for the exit (sessions survive in the dataDir: a restart keeps them until they expire). */
  stop(): Promise<void>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /**
   * Start again on the same port (after stop or kill). Same dataDir: sessions go on (until they expire). `wipe`: an
   * empty dataDir, as a replaced server: every session is unknown to it (clients are told theirs expired).
   */
  restart(o?: { wipe?: boolean }): Promise<void>;
  /** Stop and remove the dataDir. */
  close(): Promise<void>;
  /** What the server wrote (its log, for failure messages). */
  output(): string;
}

export function requireZooKeeper(): void {
  if (!existsSync(ZOOKEEPER_JAR)) {
    throw new Error(
      `ZooKeeper is not installed (${ZOOKEEPER_JAR} is missing): the registry tests need it. Install Debian's package: ` +
        'apt-get update && apt-get install -y --no-install-recommends zookeeper (scripts/run-tests.mjs does it when run as root)',
    );
  }
}

/** A free TCP port on 127.0.0.1 (ZooKeeper refuses clientPort=0). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Start a ZooKeeper; resolves once it answers `ruok` with `imok`. */
export async function startZooKeeper(opts: { minSessionTimeoutMs?: number; maxSessionTimeoutMs?: number } = {}): Promise<ZooKeeper> {
  requireZooKeeper();
  const dir = mkdtempSync(join(tmpdir(), 'mosn-zk-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const port = await freePort();
  const cfg = join(dir, 'zoo.cfg');
  writeFileSync(
    cfg,
    [
      'tickTime=500',
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      `minSessionTimeout=${opts.minSessionTimeoutMs ?? 1000}`,
      `maxSessionTimeout=${opts.maxSessionTimeoutMs ?? 3000}`,
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr',
      'maxClientCnxns=0',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let out = '';
  const launch = async () => {
    const c = spawn('java', ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', ZOOKEEPER_JAR, 'org.apache.zookeeper.server.ZooKeeperServerMain', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    c.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    c.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    exited = new Promise<void>((r) => c.once('exit', () => r()));
    const end = Date.now() + 20_000;
    while ((await fourLetter(port, 'ruok')) !== 'imok') {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`zookeeper exited (${c.exitCode ?? c.signalCode}): ${out.slice(-2000)}`);
      if (Date.now() > end) throw new Error(`zookeeper did not answer ruok on 127.0.0.1:${port} within 20 s: ${out.slice(-2000)}`);
      await sleep(50);
    }
  };
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const end = async (signal: NodeJS.Signals) => {
    if (!alive()) return;
    child!.kill(signal);
    await Promise.race([exited, sleep(10_000)]);
    if (alive()) {
      child!.kill('SIGKILL');
      await exited;
    }
  };
  await launch();
  return {
    port,
    address: `127.0.0.1:${port}`,
    running: alive,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    restart: async (o = {}) => {
      await end('SIGTERM');
      if (o.wipe) {
        rmSync(dataDir, { recursive: true, force: true });
        mkdirSync(dataDir);
      }
      await launch();
    },
    close: async () => {
      await end('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    output: () => out,
  };
}

/** Send a four-letter word; resolves to the answer (trimmed), or '' when nothing answers. */
function fourLetter(port: number, word: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    const done = () => {
      s.destroy();
      resolve(data.trim());
    };
    s.setTimeout(1000, done);
    s.on('connect', () => s.write(word));
    s.on('data', (d: Buffer) => (data += d.toString()));
    s.on('end', done);
    s.on('error', () => resolve(''));
  });
}
