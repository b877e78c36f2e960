/** Something with a deadline that an ExpiryHeap can hold; the heap keeps `heapIndex` current. */
export interface Scheduled {
  deadline: number;
  /** Position in the heap, or -1 when not scheduled. Owned by the heap. */
  heapIndex: number;
}

/**
 * A min-heap of deadlines over intrusive items: schedule, reschedule and remove are O(log n)
 * with no lookups, so a keep-alive is an in-place update rather than a scan or a new timer,
 * and a million leases cost no extra objects.
 */
export class ExpiryHeap<T extends Scheduled> {
  private readonly heap: T[] = [];

  /** How many items are scheduled. */
  get size(): number {
    return this.heap.length;
  }

  /** Schedules `item` at `deadlineMs`, moving it if it is already scheduled. */
  schedule(item: T, deadlineMs: number): void {
    if (item.heapIndex < 0) {
      item.deadline = deadlineMs;
      item.heapIndex = this.heap.length;
      this.heap.push(item);
      this.siftUp(item);
      return;
    }
    const before = item.deadline;
    item.deadline = deadlineMs;
    if (deadlineMs < before) this.siftUp(item);
    else this.siftDown(item);
  }

  /**
   * Moves many scheduled items to `deadlineOf(item)` at once. When they are a large share of the
   * heap, setting every deadline in place and rebuilding the heap (O(n)) beats one move each
   * (O(k log n)): a bulk keep-alive of every lease is exactly that case.
   */
  rescheduleMany(items: readonly T[], deadlineOf: (item: T) => number): void {
    if (items.length * Math.log2(this.heap.length + 1) < this.heap.length) {
      for (const item of items) this.schedule(item, deadlineOf(item));
      return;
    }
    for (const item of items) {
      if (item.heapIndex < 0) this.schedule(item, deadlineOf(item));
      else item.deadline = deadlineOf(item);
    }
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(this.heap[i]!);
  }

  /** Unschedules `item`; false when it was not scheduled. */
  remove(item: T): boolean {
    if (item.heapIndex < 0) return false;
    this.removeAt(item.heapIndex);
    return true;
  }

  /** True while `item` is scheduled. */
  has(item: T): boolean {
    return item.heapIndex >= 0;
  }

  /** The earliest deadline, if any. */
  peekDeadline(): number | undefined {
    return this.heap[0]?.deadline;
  }

  /** Removes and returns up to `limit` items whose deadline is at or before `nowMs`, earliest first. */
  popDue(nowMs: number, limit: number): T[] {
    const due: T[] = [];
    while (due.length < limit) {
      const top = this.heap[0];
      if (top === undefined || top.deadline > nowMs) break;
      this.removeAt(0);
      due.push(top);
    }
    return due;
  }

  private removeAt(index: number): void {
    const removed = this.heap[index]!;
    removed.heapIndex = -1;
    const last = this.heap.pop()!;
    if (index === this.heap.length) return;
    last.heapIndex = index;
    this.heap[index] = last;
    this.siftDown(last);
    this.siftUp(last);
  }

  private siftUp(item: T): void {
    let i = item.heapIndex;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = this.heap[parentIndex]!;
      if (parent.deadline <= item.deadline) break;
      this.heap[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    this.heap[i] = item;
    item.heapIndex = i;
  }

  private siftDown(item: T): void {
    const n = this.heap.length;
    let i = item.heapIndex;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      let child = this.heap[left]!;
      const right = this.heap[left + 1];
      if (right !== undefined && right.deadline < child.deadline) child = right;
      if (child.deadline >= item.deadline) break;
      const childIndex = child.heapIndex;
      this.heap[i] = child;
      child.heapIndex = i;
      i = childIndex;
    }
    this.heap[i] = item;
    item.heapIndex = i;
  }
}
