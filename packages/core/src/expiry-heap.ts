/**
 * A min-heap of deadlines indexed by id: schedule, reschedule and remove are O(log n),
 * so a keep-alive is an in-place update rather than a scan or a new timer.
 */
export class ExpiryHeap {
  private readonly ids: string[] = [];
  private readonly deadlines: number[] = [];
  private readonly positions = new Map<string, number>();

  /** How many ids are scheduled. */
  get size(): number {
    return this.ids.length;
  }

  /** Schedules `id` at `deadlineMs`, moving it if it is already scheduled. */
  schedule(id: string, deadlineMs: number): void {
    const at = this.positions.get(id);
    if (at === undefined) {
      this.ids.push(id);
      this.deadlines.push(deadlineMs);
      this.positions.set(id, this.ids.length - 1);
      this.siftUp(this.ids.length - 1);
      return;
    }
    const before = this.deadlines[at]!;
    this.deadlines[at] = deadlineMs;
    if (deadlineMs < before) this.siftUp(at);
    else this.siftDown(at);
  }

  /** Forgets `id`; false when it was not scheduled. */
  remove(id: string): boolean {
    const at = this.positions.get(id);
    if (at === undefined) return false;
    this.positions.delete(id);
    const last = this.ids.length - 1;
    const lastId = this.ids.pop()!;
    const lastDeadline = this.deadlines.pop()!;
    if (at !== last) {
      this.ids[at] = lastId;
      this.deadlines[at] = lastDeadline;
      this.positions.set(lastId, at);
      this.siftDown(at);
      this.siftUp(at);
    }
    return true;
  }

  /** The deadline of `id`, if scheduled. */
  deadlineOf(id: string): number | undefined {
    const at = this.positions.get(id);
    return at === undefined ? undefined : this.deadlines[at];
  }

  /** The earliest deadline, if any. */
  peekDeadline(): number | undefined {
    return this.deadlines[0];
  }

  /** Removes and returns up to `limit` ids whose deadline is at or before `nowMs`, earliest first. */
  popDue(nowMs: number, limit: number): string[] {
    const due: string[] = [];
    while (due.length < limit && this.ids.length > 0 && this.deadlines[0]! <= nowMs) {
      const id = this.ids[0]!;
      this.remove(id);
      due.push(id);
    }
    return due;
  }

  private siftUp(start: number): void {
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.deadlines[parent]! <= this.deadlines[i]!) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(start: number): void {
    const n = this.ids.length;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && this.deadlines[left]! < this.deadlines[smallest]!) smallest = left;
      if (right < n && this.deadlines[right]! < this.deadlines[smallest]!) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const idA = this.ids[a]!;
    const idB = this.ids[b]!;
    this.ids[a] = idB;
    this.ids[b] = idA;
    const d = this.deadlines[a]!;
    this.deadlines[a] = this.deadlines[b]!;
    this.deadlines[b] = d;
    this.positions.set(idB, a);
    this.positions.set(idA, b);
  }
}
