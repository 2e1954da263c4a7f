import type { Kind, LoadClient, Protocol } from './clients.js';

// Steady load: each client sends requests at a fixed rate whatever becomes of the earlier ones (an open loop, so
// that hung requests do not slow the load down), and every request's outcome is recorded.

/** One request: when it was sent and settled (ms since the load began), and its outcome. */
export interface RequestRecord {
  protocol: Protocol;
  id: string;
  sentAt: number;
  doneAt: number;
  kind: Kind;
  who: string | undefined;
  status: number | undefined;
  detail: string | undefined;
}

const TICK_MS = 10;

export class OpenLoad {
  readonly records: RequestRecord[] = [];
  /** performance.now() when the load began: every time in the records is from here. */
  readonly t0 = performance.now();
  #clients: readonly LoadClient[];
  #rate: number;
  #deadline: (p: Protocol) => number;
  #sent = new Map<Protocol, number>();
  #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout;

  /** `rate` requests per second per client; a request of protocol p waits `deadline(p)` ms at most. */
  constructor(clients: readonly LoadClient[], rate: number, deadline: (p: Protocol) => number) {
    this.#clients = clients;
    this.#rate = rate;
    this.#deadline = deadline;
    for (const c of clients) this.#sent.set(c.protocol, 0);
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  /** ms since the load began. */
  now(): number {
    return performance.now() - this.t0;
  }

  #tick(): void {
    const due = Math.floor((this.now() / 1000) * this.#rate);
    for (const c of this.#clients) {
      // a stalled event loop catches up by at most one second's worth
      let sent = Math.max(this.#sent.get(c.protocol)!, due - this.#rate);
      for (; sent < due; sent++) this.#send(c, `${c.protocol}-${sent}`);
      this.#sent.set(c.protocol, sent);
    }
  }

  #send(c: LoadClient, id: string): void {
    const sentAt = this.now();
    const p = c.call(id, this.#deadline(c.protocol)).then((o) => {
      this.records.push({ protocol: c.protocol, id, sentAt, doneAt: this.now(), kind: o.kind, who: o.who, status: o.status, detail: o.detail });
      this.#inFlight.delete(p);
    });
    this.#inFlight.add(p);
  }

  /** Send no more; resolves once every request sent has settled (each has its deadline). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all([...this.#inFlight]);
  }
}
