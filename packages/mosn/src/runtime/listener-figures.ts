import {
  LISTENER_CX,
  downstreamCxDestroyLocal,
  type CloseReason,
  type Connection,
  type Counter,
  type Listener,
  type Stats,
  type StatsCollector,
} from '@mosn/proxy';

/**
 * The connection figures of one listener (`LISTENER_CONNECTION_STATS` in @mosn/proxy's stat catalogue): each accepted
 * connection is counted when it opens and when it closes, by who closed it and why, on held counters through one
 * event handler per listener (a connection costs one listener registration, no closure of its own). The levels
 * (connections open, bytes buffered either way, handshakes under way) are read from the listener at each snapshot.
 */
export class ListenerFigures {
  readonly #stats: Stats;
  readonly #prefix: string;
  readonly #total: Counter;
  readonly #destroy: Counter;
  readonly #remote: Counter;
  readonly #local: Counter;
  readonly #filterError: Counter;
  readonly #byReason = new Map<CloseReason, Counter>();
  /** The one 'event' handler of this listener's connections (`this` is the connection). */
  readonly #onEvent: (this: Connection, ev: string, reason?: CloseReason) => void;
  readonly #onFilterError: () => void;

  constructor(stats: Stats, listenerName: string) {
    this.#stats = stats;
    this.#prefix = `listener.${listenerName}.`;
    const counter = (name: string) => stats.counter(this.#prefix + name);
    this.#total = counter(LISTENER_CX.downstream_cx_total);
    this.#destroy = counter(LISTENER_CX.downstream_cx_destroy);
    this.#remote = counter(LISTENER_CX.downstream_cx_destroy_remote);
    this.#local = counter(LISTENER_CX.downstream_cx_destroy_local);
    this.#filterError = counter(LISTENER_CX.downstream_filter_error);
    const figures = this;
    this.#onEvent = function (ev, reason) {
      if (ev === 'remote_close') {
        figures.#destroy.inc();
        figures.#remote.inc();
      } else if (ev === 'local_close') {
        figures.#destroy.inc();
        figures.#local.inc();
        figures.#reason(reason ?? 'requested').inc();
      }
    };
    this.#onFilterError = () => this.#filterError.inc();
  }

  /** A connection the listener accepted (its filters in place). */
  readonly onConnection = (conn: Connection): void => {
    this.#total.inc();
    conn.on('event', this.#onEvent);
    conn.on('filter_error', this.#onFilterError);
  };

  #reason(reason: CloseReason): Counter {
    let c = this.#byReason.get(reason);
    if (c === undefined) this.#byReason.set(reason, (c = this.#stats.counter(this.#prefix + downstreamCxDestroyLocal(reason))));
    return c;
  }

  /**
   * The levels of `listeners` (a listener name may be there twice while an old one drains: summed), for a stats
   * collector. Walks every open connection: it runs at a snapshot (admin API, scrape), never per request.
   */
  static collector(listeners: () => Iterable<Listener>): StatsCollector {
    return (emit) => {
      const levels = new Map<string, { active: number; tx: number; rx: number; handshaking: number; tls: boolean }>();
      for (const l of listeners()) {
        let v = levels.get(l.name);
        if (!v) levels.set(l.name, (v = { active: 0, tx: 0, rx: 0, handshaking: 0, tls: false }));
        v.active += l.connections.size;
        for (const c of l.connections) {
          v.tx += c.writeBufferedBytes;
          v.rx += c.readBuffer.length;
        }
        v.handshaking += l.handshaking;
        v.tls ||= l.terminatesTls;
      }
      for (const [name, v] of levels) {
        const p = `listener.${name}.`;
        emit(p + LISTENER_CX.downstream_cx_active, v.active);
        emit(p + LISTENER_CX.downstream_cx_tx_bytes_buffered, v.tx);
        emit(p + LISTENER_CX.downstream_cx_rx_bytes_buffered, v.rx);
        if (v.tls) emit(p + LISTENER_CX.downstream_tls_handshake_active, v.handshaking);
      }
    };
  }
}
