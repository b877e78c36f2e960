/**
 * What the byte-ordered key index costs the memory engine, and what it buys a listing: puts per
 * second and heap per key with it, a page of 100 from a random cursor, against the scan-and-sort a
 * store without an index would do per page, and the sorted load of a restart.
 * Run: node --expose-gc --conditions=source --import tsx bench/kv-list.ts [keys]
 */
import { LocalStore, SortedKeys, compareBytes } from '@leasehold/core';

const n = Number(process.argv[2] ?? 1_000_000);
const PAGE = 100;
const key = (i: number) => `kv||app||job/${String((i * 7_919) % n).padStart(8, '0')}`;

function time<T>(run: () => T): [T, number] {
  const start = performance.now();
  const value = run();
  return [value, performance.now() - start];
}

async function timeAsync(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

const store = new LocalStore();
global.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const putMs = await timeAsync(async () => {
  for (let i = 0; i < n; i += 10_000) {
    const work: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(n, i + 10_000); j++)
      work.push(store.kv.put({ app: 'app', key: key(j), value: 'v' }));
    await Promise.all(work);
  }
});
global.gc?.();
const heapPerKey = (process.memoryUsage().heapUsed - heapBefore) / n;

const cursors = Array.from({ length: 1_000 }, (_, i) => key((i * 104_729) % n));
const pageMs = await timeAsync(async () => {
  for (const after of cursors) await store.kv.list('kv||app||job/', after, PAGE + 1);
});

// A store without an index: every page filters and sorts all n keys.
const all = Array.from({ length: n }, (_, i) => key(i));
const [, scanMs] = time(() => {
  for (const after of cursors.slice(0, 5)) {
    all
      .filter((k) => k.startsWith('kv||app||job/') && compareBytes(k, after) > 0)
      .sort(compareBytes)
      .slice(0, PAGE + 1);
  }
});

const loaded = new SortedKeys();
const [, loadMs] = time(() => loaded.load(all));
const [, addMs] = time(() => {
  const fresh = new SortedKeys();
  for (const k of all) fresh.add(k);
});

const us = (ms: number, count: number) => `${((ms * 1_000) / count).toFixed(1)} µs`;
console.log(`keys: ${n.toLocaleString('en')}`);
console.log(`put (store, index included): ${Math.round(n / (putMs / 1_000)).toLocaleString('en')}/s`);
console.log(`heap per key (row, index, key string): ${heapPerKey.toFixed(0)} B`);
console.log(`page of ${PAGE} from a random cursor (store): ${us(pageMs, cursors.length)}`);
console.log(`page of ${PAGE} by scan and sort (no index): ${(scanMs / 5).toFixed(0)} ms`);
console.log(`SortedKeys.add, random order: ${us(addMs, n)} per key`);
console.log(`SortedKeys.load (restart): ${loadMs.toFixed(0)} ms`);
console.log(`load average: ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
await store.close();
