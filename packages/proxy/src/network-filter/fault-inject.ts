import type { Connection, FilterStatus, IoBuffer, NetworkFilterFactory, ReadFilter, ReadFilterCallbacks } from '@mosn/stream';

/** MOSN's `fault_inject` network filter config (v2.FaultInject). */
export interface FaultInjectConfig {
  /** Share of the reads delayed, whole percents 0-100. */
  readonly delayPercent: number;
  /** How long a delayed read waits before the filters after this one see it. */
  readonly delayMs: number;
}

/**
 * `fault_inject`: MOSN's network fault injection (pkg/filter/network/faultinject), a read filter before `proxy` or
 * `tcp_proxy`. Each read that comes while no delay runs is delayed in `delayPercent` % of the cases (MOSN's draw);
 * while a delay runs the connection is not read (the bytes wait in the kernel: nothing piles up here), then the
 * filters after this one get what was read. `random` gives 0 <= x < 1 (tests pass their own).
 */
export class FaultInjectFilterFactory implements NetworkFilterFactory {
  readonly #config: FaultInjectConfig;
  readonly #random: () => number;

  constructor(config: FaultInjectConfig, random: () => number = Math.random) {
    this.#config = config;
    this.#random = random;
  }

  createFilterChain(connection: Connection): void {
    const c = this.#config;
    if (c.delayPercent > 0 && c.delayMs > 0) connection.addReadFilter(new FaultInjectReadFilter(c, this.#random));
  }
}

/** MOSN's draw: `rand.Intn(100) + 1 > delay_percent` means no delay (`random` gives 0 <= x < 1). */
export function delayDrawn(percent: number, random: () => number): boolean {
  return Math.floor(random() * 100) + 1 <= percent;
}

class FaultInjectReadFilter implements ReadFilter {
  readonly #config: FaultInjectConfig;
  readonly #random: () => number;
  #callbacks: ReadFilterCallbacks | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(config: FaultInjectConfig, random: () => number) {
    this.#config = config;
    this.#random = random;
  }

  initializeReadFilterCallbacks(callbacks: ReadFilterCallbacks): void {
    this.#callbacks = callbacks;
    callbacks.connection.on('event', (ev) => {
      if (ev === 'local_close' || ev === 'remote_close') this.#clear();
    });
  }

  onData(_buffer: IoBuffer, _endStream: boolean): FilterStatus {
    if (this.#timer !== undefined) return 'stop';
    if (!delayDrawn(this.#config.delayPercent, this.#random)) return 'continue';
    const cb = this.#callbacks!;
    cb.connection.readDisable(true);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      cb.connection.readDisable(false);
      cb.continueReading();
    }, this.#config.delayMs);
    return 'stop';
  }

  #clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
