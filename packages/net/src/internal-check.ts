/**
 * A start-up check of a Node internal that a package relies on. Node may change or drop an internal in any
 * release; so mosn tries each one once when it starts, with a small real use, and where it does not behave as
 * expected the package switches to its fallback for good and says what that is, rather than misbehave silently.
 * The runtime runs every package's checks, logs each failure and counts it.
 */
export interface InternalCheck {
  /** A short name, for stats and logs: `http1_parser`. */
  readonly name: string;
  /** Try the internal; on failure switch to the fallback. Never rejects. */
  run(): Promise<InternalCheckResult>;
}

export interface InternalCheckResult {
  /** The internal, for people: `node:_http_common HTTPParser (Node's llhttp binding)`. */
  readonly internal: string;
  /**
   * `ok`: it works and is used. `failed`: it does not (`problem` says how), `instead` is used from now on.
   * `off`: a setting chose `instead` (an environment variable), so it was not tried.
   */
  readonly status: 'ok' | 'failed' | 'off';
  readonly problem?: string;
  /** What the package uses in its place (`failed`, `off`). */
  readonly instead?: string;
}
