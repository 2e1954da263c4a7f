import { describe, expect, it } from 'vitest';
import { Deadline, DeadlineList, Deadlines, MAX_DEADLINE_LISTS } from './deadlines.js';

class Entry extends Deadline {
  expired = false;
  constructor(
    readonly name: string,
    readonly log: string[],
  ) {
    super();
  }
  onDeadline(): void {
    this.expired = true;
    this.log.push(this.name);
  }
}

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('Deadlines', () => {
  it('expires entries of one timeout in the order they were added, except cancelled ones', async () => {
    const log: string[] = [];
    const d = new Deadlines();
    const entries = ['a', 'b', 'c', 'd'].map((n) => new Entry(n, log));
    for (const e of entries) d.add(e, 20);
    entries[1]!.cancelDeadline();
    entries[1]!.cancelDeadline(); // twice is harmless
    await until(() => log.length === 3);
    expect(log).toEqual(['a', 'c', 'd']);
    expect(entries.map((e) => e.deadlineList)).toEqual([undefined, undefined, undefined, undefined]);
    // nothing more fires later
    await new Promise((r) => setTimeout(r, 60));
    expect(log).toEqual(['a', 'c', 'd']);
  });

  it('a list that emptied and filled again still expires its new entries', async () => {
    const log: string[] = [];
    const list = new DeadlineList(15);
    const first = new Entry('first', log);
    list.add(first);
    list.remove(first);
    expect(list.empty).toBe(true);
    await new Promise((r) => setTimeout(r, 40)); // the timer fired for nothing
    const second = new Entry('second', log);
    list.add(second);
    await until(() => log.length === 1);
    expect(log).toEqual(['second']);
  });

  it('keeps a list per distinct timeout up to its limit; past it, entries still expire', async () => {
    const log: string[] = [];
    const d = new Deadlines();
    const kept: Entry[] = [];
    for (let i = 0; i < MAX_DEADLINE_LISTS; i++) {
      const e = new Entry(`kept${i}`, log);
      d.add(e, 60_000 + i);
      kept.push(e);
    }
    expect(d.size).toBe(MAX_DEADLINE_LISTS);
    const extra = new Entry('extra', log);
    d.add(extra, 10);
    expect(d.size).toBe(MAX_DEADLINE_LISTS);
    await until(() => log.length === 1);
    expect(log).toEqual(['extra']);
    // emptied lists are dropped when room is needed
    for (const e of kept) e.cancelDeadline();
    d.add(new Entry('new', log), 30);
    expect(d.size).toBe(1);
    await until(() => log.length === 2);
    expect(log).toEqual(['extra', 'new']);
  });

  it('an entry a callback arms again expires once more, a whole timeout later', async () => {
    const log: string[] = [];
    const d = new Deadlines();
    let rounds = 0;
    class Again extends Deadline {
      onDeadline(): void {
        log.push(`round${++rounds}`);
        if (rounds < 3) d.add(this, 10);
      }
    }
    d.add(new Again(), 10);
    await until(() => rounds === 3);
    await new Promise((r) => setTimeout(r, 40));
    expect(log).toEqual(['round1', 'round2', 'round3']);
  });
});

describe('a deadline callback that throws', () => {
  it('is reported to its entry, and the other entries still expire', async () => {
    const d = new Deadlines();
    const seen: string[] = [];
    class Bad extends Deadline {
      onDeadline(): void {
        throw new Error('bug in a timeout handler');
      }
      override onDeadlineError(err: unknown): void {
        seen.push(`error: ${(err as Error).message}`);
      }
    }
    class Good extends Deadline {
      constructor(readonly name: string) {
        super();
      }
      onDeadline(): void {
        seen.push(this.name);
      }
    }
    d.add(new Good('first'), 5);
    d.add(new Bad(), 5);
    d.add(new Good('last'), 5);
    await until(() => seen.length === 3);
    expect(seen).toEqual(['first', 'error: bug in a timeout handler', 'last']);
  });
});
