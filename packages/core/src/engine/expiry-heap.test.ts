import { describe, expect, it } from 'vitest';
import { ExpiryHeap } from './expiry-heap.js';

interface Item {
  id: string;
  deadline: number;
  heapIndex: number;
}
const item = (id: string): Item => ({ id, deadline: 0, heapIndex: -1 });
const ids = (items: Item[]) => items.map((i) => i.id);

describe('ExpiryHeap', () => {
  it('pops due items earliest first, at most `limit` at a time', () => {
    const heap = new ExpiryHeap<Item>();
    const [a, b, c, late] = [item('a'), item('b'), item('c'), item('late')];
    heap.schedule(c, 30);
    heap.schedule(a, 10);
    heap.schedule(b, 20);
    heap.schedule(late, 100);
    expect(heap.peekDeadline()).toBe(10);
    expect(ids(heap.popDue(30, 2))).toEqual(['a', 'b']);
    expect(ids(heap.popDue(30, 10))).toEqual(['c']);
    expect(heap.popDue(30, 10)).toEqual([]);
    expect(heap.size).toBe(1);
    expect(heap.has(a)).toBe(false);
    expect(heap.has(late)).toBe(true);
  });

  it('reschedules in place, both earlier and later', () => {
    const heap = new ExpiryHeap<Item>();
    const items = Array.from({ length: 10 }, (_, i) => item(`id${i}`));
    items.forEach((it, i) => heap.schedule(it, 100 + i));
    heap.schedule(items[9]!, 1);
    heap.schedule(items[0]!, 500);
    expect(heap.size).toBe(10);
    expect(items[0]!.deadline).toBe(500);
    expect(ids(heap.popDue(1000, 100))).toEqual([
      'id9',
      'id1',
      'id2',
      'id3',
      'id4',
      'id5',
      'id6',
      'id7',
      'id8',
      'id0',
    ]);
  });

  it('removes from anywhere and stays ordered (checked against a sort)', () => {
    const heap = new ExpiryHeap<Item>();
    const pool = Array.from({ length: 500 }, (_, i) => item(`k${i}`));
    const scheduled = new Map<Item, number>();
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 2_000; i++) {
      const it = pool[Math.floor(random() * pool.length)]!;
      if (random() < 0.3) {
        expect(heap.remove(it)).toBe(scheduled.delete(it));
      } else {
        const deadline = Math.floor(random() * 10_000);
        heap.schedule(it, deadline);
        scheduled.set(it, deadline);
      }
    }
    const popped = heap.popDue(Infinity, Infinity).map((it) => it.deadline);
    expect(popped).toEqual([...scheduled.values()].sort((a, b) => a - b));
    expect(heap.size).toBe(0);
  });

  it('reschedules many at once, a few by moves and most by a rebuild, in deadline order either way', () => {
    for (const moved of [2, 60]) {
      const heap = new ExpiryHeap<Item>();
      const items = Array.from({ length: 64 }, (_, i) => item(`id${i}`));
      items.forEach((it, i) => heap.schedule(it, 1_000 - i));
      const extra = item('new');
      heap.rescheduleMany([...items.slice(0, moved), extra], (it) =>
        it === extra ? 5 : 2_000 + it.deadline,
      );
      expect(heap.size).toBe(65);
      const popped = heap.popDue(Infinity, 100);
      expect(popped[0]).toBe(extra);
      const deadlines = popped.map((it) => it.deadline);
      expect(deadlines).toEqual([...deadlines].sort((a, b) => a - b));
      expect(popped.at(-1)!.deadline).toBe(3_000);
    }
  });
});
