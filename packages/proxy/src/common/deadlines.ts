/**
 * Request timeouts without a Node timer per request. Requests with the same timeout expire in the order
 * they started, so each distinct timeout keeps one list in start order and one timer, set for the deadline
 * at the head of its list. Adding and cancelling are a few pointer moves; nothing is allocated per entry
 * (the entry is the request object itself, a subclass of Deadline).
 */

/** An entry of a DeadlineList: `onDeadline` runs once when its time is up, unless cancelled first. */
export abstract class Deadline {
  /** When it expires, in `performance.now()` milliseconds; 0 while not armed. */
  deadlineAt = 0;
  deadlinePrev: Deadline | undefined = undefined;
  deadlineNext: Deadline | undefined = undefined;
  deadlineList: DeadlineList | undefined = undefined;
  abstract onDeadline(): void;

  /**
   * `onDeadline` threw: the other entries still expire, and the process goes on. Subclasses log with their
   * context (and answer their request); this default at least says so on stderr.
   */
  onDeadlineError(err: unknown): void {
    process.emitWarning(err instanceof Error ? err : new Error(String(err)), 'DeadlineCallbackError');
  }

  /** Stop waiting for the deadline (no-op when not armed). */
  cancelDeadline(): void {
    this.deadlineList?.remove(this);
  }
}

/** Distinct timeouts kept with their own list and timer; others (rare) get a list of their own per entry. */
export const MAX_DEADLINE_LISTS = 32;

/** The entries of one timeout value, oldest first. */
export class DeadlineList {
  readonly timeoutMs: number;
  /** A list for one entry: its timer is cleared when the entry leaves. */
  readonly #single: boolean;
  #head: Deadline | undefined;
  #tail: Deadline | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number, single = false) {
    this.timeoutMs = timeoutMs;
    this.#single = single;
  }

  /** Arm `entry` to expire `timeoutMs` from now (it must not be armed already). */
  add(entry: Deadline, now = performance.now()): void {
    entry.deadlineAt = now + this.timeoutMs;
    entry.deadlineList = this;
    entry.deadlinePrev = this.#tail;
    entry.deadlineNext = undefined;
    if (this.#tail) this.#tail.deadlineNext = entry;
    else this.#head = entry;
    this.#tail = entry;
    // A timer still set fires no later than this entry's deadline (later entries expire later); when it
    // fires it sets itself again for the head.
    if (this.#timer === undefined) this.#arm(entry.deadlineAt, now);
  }

  remove(entry: Deadline): void {
    if (entry.deadlineList !== this) return;
    const { deadlinePrev: prev, deadlineNext: next } = entry;
    if (prev) prev.deadlineNext = next;
    else this.#head = next;
    if (next) next.deadlinePrev = prev;
    else this.#tail = prev;
    entry.deadlinePrev = entry.deadlineNext = entry.deadlineList = undefined;
    entry.deadlineAt = 0;
    // A shared list that empties keeps its timer, which then fires once for nothing: cheaper than a
    // clearTimeout and a new setTimeout per request when requests finish one at a time.
    if (this.#single && this.#head === undefined) this.dispose();
  }

  get empty(): boolean {
    return this.#head === undefined;
  }

  /** Clear the timer (the list must be empty, or its entries never expire). */
  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(at: number, now: number): void {
    this.#timer = setTimeout(() => this.#fire(), Math.max(1, Math.ceil(at - now)));
    // in-flight requests hold their sockets, which keep the process alive; the timer alone must not
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    const now = performance.now();
    try {
      // Bounded: an entry a callback adds expires a whole timeout after `now`.
      for (let e = this.#head; e !== undefined && e.deadlineAt <= now; e = this.#head) {
        this.remove(e);
        try {
          e.onDeadline();
        } catch (err) {
          // one request's bug must not stop the others' deadlines, nor end the process
          reportDeadlineError(e, err);
        }
      }
    } finally {
      const head = this.#head;
      if (head !== undefined && this.#timer === undefined) this.#arm(head.deadlineAt, performance.now());
    }
  }
}

function reportDeadlineError(entry: Deadline, err: unknown): void {
  try {
    entry.onDeadlineError(err);
  } catch (again) {
    process.emitWarning(again instanceof Error ? again : new Error(String(again)), 'DeadlineCallbackError');
  }
}

/** A DeadlineList per distinct timeout value, made on first use; at most MAX_DEADLINE_LISTS of them. */
export class Deadlines {
  #lists = new Map<number, DeadlineList>();

  /** Arm `entry` to expire in `timeoutMs` (> 0) from `now` (performance.now(), if the caller has it). */
  add(entry: Deadline, timeoutMs: number, now = performance.now()): void {
    let list = this.#lists.get(timeoutMs);
    if (list === undefined) {
      // Timeouts come from requests (Bolt's timeout field): many distinct ones must not pile up lists.
      if (this.#lists.size >= MAX_DEADLINE_LISTS) this.#sweep();
      list = new DeadlineList(timeoutMs, this.#lists.size >= MAX_DEADLINE_LISTS);
      if (this.#lists.size < MAX_DEADLINE_LISTS) this.#lists.set(timeoutMs, list);
    }
    list.add(entry, now);
  }

  /** The shared lists kept (one per distinct timeout in use). */
  get size(): number {
    return this.#lists.size;
  }

  #sweep(): void {
    for (const [ms, list] of this.#lists) {
      if (list.empty) {
        list.dispose();
        this.#lists.delete(ms);
      }
    }
  }
}
