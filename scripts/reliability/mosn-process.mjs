// mosn as its own process for the reliability scripts (slow-clients.mjs, soak.mjs): started from the built CLI with
// a raised open-files limit, read from /proc (RSS, open fds, listening sockets) and through its admin API (stats,
// which carry the process's V8 heap as `server.memory_*`), reloaded by SIGHUP after its config file is rewritten.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MOSN_CLI = path.join(ROOT, 'packages/mosn/dist/cli.js');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * `node <args>` in a shell that first raises the soft (and, as root, the hard) limit of open files to `fdLimit`;
 * when it may not, the limit stays as it was (the caller reads the real one from /proc/<pid>/limits).
 */
export function spawnNodeWithFdLimit(args, fdLimit, options = {}) {
  const quoted = [process.execPath, ...args].map((a) => `'${String(a).replaceAll("'", `'\\''`)}'`).join(' ');
  const script = `ulimit -Hn ${fdLimit} 2>/dev/null; ulimit -Sn ${fdLimit} 2>/dev/null || ulimit -Sn "$(ulimit -Hn)"; exec ${quoted}`;
  return spawn('/bin/sh', ['-c', script], options);
}

/** A free TCP port on 127.0.0.1 (bound, then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** VmRSS of a process, KiB (NaN once it is gone). */
export function rssKiB(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** Open file descriptors of a process, by kind: sockets, pipes, anon inodes (epoll, eventfd), files; and the total. */
export function fdKinds(pid) {
  const out = { total: 0, socket: 0, pipe: 0, anon: 0, file: 0 };
  let names;
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const n of names) {
    let target;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${n}`);
    } catch {
      continue; // closed while we looked
    }
    out.total++;
    if (target.startsWith('socket:')) out.socket++;
    else if (target.startsWith('pipe:')) out.pipe++;
    else if (target.startsWith('anon_inode:')) out.anon++;
    else out.file++;
  }
  return out;
}

/** The socket inodes among a process's open fds. */
function socketInodes(pid) {
  const inodes = new Set();
  for (const n of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${n}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed while we looked
    }
  }
  return inodes;
}

/**
 * TCP sockets of a process by state, from /proc/<pid>/net/tcp{,6} joined with its fds: `listen` counts its
 * listening sockets (mosn's listeners and admin API), `established` its connections, `other` the rest.
 */
export function tcpSockets(pid) {
  const mine = socketInodes(pid);
  const out = { listen: 0, established: 0, other: 0 };
  for (const file of ['tcp', 'tcp6']) {
    let text;
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !mine.has(f[9])) continue;
      if (f[3] === '0A') out.listen++;
      else if (f[3] === '01') out.established++;
      else out.other++;
    }
  }
  return out;
}

/** The soft limit of open files of a process (from /proc/<pid>/limits). */
export function fdLimitOf(pid) {
  const m = /Max open files\s+(\S+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return m?.[1] === 'unlimited' ? Infinity : Number(m?.[1]);
}

/**
 * Start `mosn start -c <file>` on `config` (an object; `admin` is set here) with the open-files limit raised to
 * `fdLimit`, and wait until its admin API says it runs. `logLevel` defaults to ERROR (its output is kept, the
 * last 64 KiB, for failure messages).
 */
export async function startMosn(config, { fdLimit = 65536, logLevel = 'ERROR', env = {} } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mosn-reliability-'));
  const file = path.join(dir, 'mosn.json');
  const adminPort = await freePort();
  const withAdmin = (c) => ({
    ...c,
    servers: c.servers.map((s) => ({ default_log_path: 'stderr', ...s, default_log_level: logLevel })),
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } },
  });
  const write = (c) => writeFileSync(file, JSON.stringify(withAdmin(c), null, 2));
  write(config);
  const child = spawnNodeWithFdLimit([MOSN_CLI, 'start', '-c', file], fdLimit, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  const keep = (d) => {
    output += d;
    if (output.length > 65536) output = output.slice(-65536);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  let exit;
  const exited = new Promise((r) => child.on('exit', (code, signal) => r((exit = { code, signal }))));
  const admin = async (p) => {
    const r = await fetch(`http://127.0.0.1:${adminPort}${p}`);
    const text = await r.text();
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exit) throw new Error(`mosn exited (${JSON.stringify(exit)}) before starting:\n${output}`);
    if (Date.now() > deadline) throw new Error(`mosn did not start in 20 s:\n${output}`);
    try {
      if (/(^|&)state=6(&|\n|$)/.test(String(await admin('/api/v1/states')))) break;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  return {
    /** The process id of mosn itself (the shell exec'd into it). */
    pid: child.pid,
    child,
    file,
    adminPort,
    exited,
    output: () => output,
    admin,
    /** Every stat (`/api/v1/stats`). */
    stats: () => admin('/api/v1/stats'),
    /** The listeners' bound addresses from the config dump, by name (for listeners configured on port 0). */
    async listenerPorts() {
      const dump = await admin('/api/v1/config_dump');
      const out = {};
      for (const l of dump.servers?.[0]?.listeners ?? []) {
        const m = /:(\d+)$/.exec(l.address ?? '');
        if (m) out[l.name] = Number(m[1]);
      }
      return out;
    },
    /** Rewrite the config file (the admin address kept), then SIGHUP. */
    reload(next) {
      write(next);
      child.kill('SIGHUP');
    },
    /** SIGTERM; SIGKILL after `graceMs`; resolves with how it exited. Removes the config's folder. */
    async stop(graceMs = 10_000) {
      if (!exit) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
      return exit;
    },
  };
}

/** Ask a child process over IPC: one `msg`, the first answer whose `re` equals `msg.id`. */
let nextAsk = 1;
export function ask(child, msg, timeoutMs = 120_000) {
  const id = nextAsk++;
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m?.re !== id) return;
      clearTimeout(t);
      child.off('message', onMessage);
      if (m.error) reject(new Error(m.error));
      else resolve(m);
    };
    const t = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no answer to ${msg.cmd} in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.send({ ...msg, id });
  });
}

/** Answer `ask`s in a child: `handlers[cmd](msg)` (may be async); its result (an object) goes back. */
export function serveAsks(handlers) {
  process.on('message', async (m) => {
    try {
      const h = handlers[m.cmd];
      if (!h) throw new Error(`unknown command ${m.cmd}`);
      process.send({ ...(await h(m)), re: m.id });
    } catch (e) {
      process.send({ re: m.id, error: e?.stack ?? String(e) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
