import { unwatchFile, watchFile, type Stats as FileStats } from 'node:fs';
import type { MosnConfig, TlsContextSpec } from '../config/types.js';

/** How often certificate and key files are looked at (stat only). */
export const CERT_POLL_MS = 2000;

/**
 * Watches the certificate, key and CA files of the running config; when one changes, `onChange` is called (once for
 * a burst of changes: a rotation writes the certificate and the key one after the other). The runtime then applies
 * its running config again: the files are read anew, and the listeners and clusters whose files changed take the new
 * pair for new handshakes, while open connections go on.
 */
export class CertWatcher {
  #files = new Set<string>();
  #onChange: () => void;
  #timer: NodeJS.Timeout | undefined;
  #pollMs: number;
  #listener = (now: FileStats, before: FileStats) => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#onChange, this.#pollMs);
    this.#timer.unref();
  };

  constructor(onChange: () => void, pollMs = CERT_POLL_MS) {
    this.#onChange = onChange;
    this.#pollMs = pollMs;
  }

  /** Watch the files of this config (and stop watching the ones it no longer has). */
  follow(config: MosnConfig): void {
    const next = new Set<string>();
    const add = (s: TlsContextSpec | undefined) => {
      for (const f of [s?.files.ca, s?.files.certChain, s?.files.privateKey]) if (f !== undefined) next.add(f);
    };
    for (const l of config.listeners) for (const c of l.tls?.contexts ?? []) add(c);
    for (const c of config.clusters) add(c.tls);
    for (const f of this.#files) if (!next.has(f)) unwatchFile(f, this.#listener);
    for (const f of next) if (!this.#files.has(f)) watchFile(f, { interval: this.#pollMs, persistent: false }, this.#listener);
    this.#files = next;
  }

  close(): void {
    clearTimeout(this.#timer);
    for (const f of this.#files) unwatchFile(f, this.#listener);
    this.#files.clear();
  }
}
