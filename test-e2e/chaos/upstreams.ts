import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The parent's side of the upstream processes (upstream.mjs): start one, and do to it what the chaos schedule
// says (SIGKILL, SIGTERM, SIGSTOP/SIGCONT, drop its connections, slow it down), then start it again on the ports
// it had.

const PROGRAM = fileURLToPath(new URL('./upstream.mjs', import.meta.url));

export interface Ports {
  h1: number;
  h2: number;
  bolt: number;
  dubbo: number;
}

/** One upstream: a process serving the four protocols, restartable on the same ports. */
export class Upstream {
  readonly name: string;
  ports: Ports = { h1: 0, h2: 0, bolt: 0, dubbo: 0 };
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #stderr = '';
  /** Times it was started. */
  starts = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** Running (started, not exited)? */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Start the process (on the ports it had, or any free ones the first time); resolves once all four listen. */
  async start(): Promise<void> {
    if (this.#child) throw new Error(`${this.name} is running`);
    const p = this.ports;
    const child = fork(PROGRAM, [this.name, String(p.h1), String(p.h2), String(p.bolt), String(p.dubbo)], {
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr!.on('data', (c: Buffer) => (this.#stderr = (this.#stderr + c.toString()).slice(-4000)));
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (this.#child === child) this.#child = undefined;
        resolve();
      }),
    );
    const ready = new Promise<Ports>((resolve, reject) => {
      child.on('message', (m: { ready?: Ports }) => m.ready && resolve(m.ready));
      child.once('exit', (code, signal) => reject(new Error(`upstream ${this.name} exited (${code ?? signal}) before it was ready: ${this.#stderr}`)));
    });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`upstream ${this.name} not ready in 15 s: ${this.#stderr}`)), 15_000).unref());
    this.ports = await Promise.race([ready, timeout]);
    this.starts++;
  }

  /** `host:port` of one protocol's server. */
  address(protocol: keyof Ports): string {
    return `127.0.0.1:${this.ports[protocol]}`;
  }

  /** SIGKILL; resolves once it exited. */
  async kill(): Promise<void> {
    this.#child?.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM (a graceful stop: it stops listening, answers what it received and exits); SIGKILL after 10 s. */
  async term(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGTERM');
    const late = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(late);
  }

  freeze(): void {
    this.#child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.#child?.kill('SIGCONT');
  }

  /** Reset every connection it has (it keeps listening). */
  drop(): void {
    this.#child?.send({ drop: true });
  }

  /** Answer every request `ms` late (0: at once again). */
  slow(ms: number): void {
    this.#child?.send({ slow: ms });
  }

  /** Gone for good (SIGKILL, which also ends a frozen process). */
  close(): Promise<void> {
    return this.kill();
  }
}
