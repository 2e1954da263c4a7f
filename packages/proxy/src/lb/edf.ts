interface Entry<T> {
  item: T;
  deadline: number;
  /** Queue order, so equal deadlines go first-in first-out. */
  seq: number;
}

/**
 * Earliest deadline first, the weighted schedule of Envoy and MOSN: an item of weight w is due every 1/w, so over
 * time each item is picked in proportion to its weight. A binary heap: O(log n) a pick.
 */
export class EdfScheduler<T> {
  #heap: Entry<T>[] = [];
  #now = 0;
  #seq = 0;

  add(item: T, weight: number): void {
    const heap = this.#heap;
    heap.push({ item, deadline: this.#now + 1 / weight, seq: this.#seq++ });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** The item due first; it is queued again with the weight `weight` gives it now (weights may change per pick). */
  nextAndPush(weight: (item: T) => number): T | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (!top) return undefined;
    this.#now = top.deadline;
    top.deadline = this.#now + 1 / weight(top.item);
    top.seq = this.#seq++;
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      let first = i;
      if (left < heap.length && earlier(heap[left]!, heap[first]!)) first = left;
      if (left + 1 < heap.length && earlier(heap[left + 1]!, heap[first]!)) first = left + 1;
      if (first === i) break;
      [heap[i], heap[first]] = [heap[first]!, heap[i]!];
      i = first;
    }
    return top.item;
  }
}

function earlier<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}
