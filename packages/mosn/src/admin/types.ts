import type { ApplyResult, Stage } from '../mosn.js';
import type { XdsStatus } from '../xds/xds-source.js';
import type { LiveSource } from './live/types.js';

// The admin API's contracts: what a handler gets and answers, and what it reads of the running mosn.

/** What an admin handler answers: a status, a body and its content type (and any other headers). */
export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An admin request as the handlers see it: the method, the query, and the body (read on demand). */
export interface AdminRequest {
  readonly method: string;
  readonly query: URLSearchParams;
  body(): Promise<string>;
}

export type AdminHandler = (req: AdminRequest, source: AdminSource) => Reply | Promise<Reply>;

/**
 * The runtime's logger as the admin API changes it (`update_loglevel`, `enable_log`, `disable_log`). MOSN keys its
 * loggers by their output path; mosn-ts has one, the default logger, keyed by `default_log_path` as configured.
 */
export interface LogControl {
  /** `default_log_path` as configured (`stdout` when empty). */
  readonly path: string;
  /** The level now, as MOSN names it (`INFO`). */
  level(): string;
  /** Set the level by MOSN's name (`DEBUG`); kept while the logger is disabled. */
  setLevel(level: string): void;
  enabled(): boolean;
  /** Off: nothing is logged at any level. On: the level applies again. */
  setEnabled(on: boolean): void;
}

/** What the admin API reads of the running mosn, and the few things it may change. */
export interface AdminSource {
  /** The running config: MOSN's JSON document (the file's, with the sections of dynamic sources merged in). */
  config(): unknown;
  /** The statuses of the dynamic sources that run (`xds`: XdsStatus; `registry`), shown beside the config by the dump. */
  statuses(): { readonly xds?: XdsStatus; readonly [source: string]: unknown };
  stats(): Record<string, number>;
  stage(): Stage;
  /** The running config's version (1 at start, one more per applied change). */
  version(): number;
  /** The running listeners and clusters, for the live page (`/admin`, `/api/v1/live`). */
  readonly live: LiveSource;
  /** The runtime's logger; absent when mosn was given a logger it cannot change (then no logger is listed). */
  readonly logs?: LogControl | undefined;
  /** Re-read the config file and apply it (`POST /api/v1/reload`); absent when mosn was not started from a file. */
  readonly reload?: (() => Promise<ApplyResult>) | undefined;
  /** Called before each request: the primary of workers gathers its workers' stats and running config. */
  readonly refresh?: (() => Promise<void>) | undefined;
  /** One worker's own stats (`/api/v1/stats?worker=<id>`); absent without workers. */
  readonly workerStats?: ((id: number) => Record<string, number> | undefined) | undefined;
}
