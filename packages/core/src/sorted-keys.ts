/** Most keys one block holds; a fuller block splits in two. */
const BLOCK_MAX = 1024;

/**
 * Orders two well-formed strings as their UTF-8 bytes compare: the order of etcd's ranges and
 * Redis's ZRANGEBYLEX, so a listing pages the same way on every store. UTF-16 code units agree
 * with it except that surrogates (code points above U+FFFF) must sort after U+E000..U+FFFF.
 */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fold(x) - fold(y);
  }
  return a.length - b.length;
}

function fold(unit: number): number {
  return unit >= 0xd800 && unit < 0xe000 ? unit + 0x10000 : unit;
}

/**
 * A set of strings kept in byte order, for listing a key range a page at a time. Keys sit in
 * sorted blocks of at most BLOCK_MAX, so an insert or delete is two binary searches and a splice
 * of one small block (O(log n + BLOCK_MAX)), never a shift of all n keys; a page costs
 * O(log n + page). Iterate it synchronously: a change during iteration is not supported.
 */
export class SortedKeys {
  private blocks: string[][] = [];
  private count = 0;

  /** How many keys it holds. */
  get size(): number {
    return this.count;
  }

  /** Replaces the contents with `keys` (any order, no duplicates), in O(n log n). */
  load(keys: readonly string[]): void {
    const sorted = [...keys].sort(compareBytes);
    this.blocks = [];
    for (let i = 0; i < sorted.length; i += BLOCK_MAX / 2)
      this.blocks.push(sorted.slice(i, i + BLOCK_MAX / 2));
    this.count = sorted.length;
  }

  /** Adds a key; false when it was already there. */
  add(key: string): boolean {
    if (this.blocks.length === 0) {
      this.blocks.push([key]);
      this.count = 1;
      return true;
    }
    const b = Math.min(this.blockFor(key, false), this.blocks.length - 1);
    const block = this.blocks[b]!;
    const at = lowerBound(block, key, false);
    if (block[at] === key) return false;
    block.splice(at, 0, key);
    this.count++;
    if (block.length > BLOCK_MAX) this.blocks.splice(b + 1, 0, block.splice(block.length >> 1));
    return true;
  }

  /** Removes a key; false when it was absent. */
  delete(key: string): boolean {
    const b = this.blockFor(key, false);
    const block = this.blocks[b];
    if (!block) return false;
    const at = lowerBound(block, key, false);
    if (block[at] !== key) return false;
    block.splice(at, 1);
    this.count--;
    if (block.length === 0) this.blocks.splice(b, 1);
    return true;
  }

  /** The keys from `start` on (after it when `exclusive`), in byte order. */
  *from(start: string, exclusive: boolean): Generator<string> {
    let b = this.blockFor(start, exclusive);
    let at = b < this.blocks.length ? lowerBound(this.blocks[b]!, start, exclusive) : 0;
    for (; b < this.blocks.length; b++, at = 0) {
      const block = this.blocks[b]!;
      for (; at < block.length; at++) yield block[at]!;
    }
  }

  /** The first block whose last key is at or after `key` (after it when `exclusive`). */
  private blockFor(key: string, exclusive: boolean): number {
    let lo = 0;
    let hi = this.blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const block = this.blocks[mid]!;
      const order = compareBytes(block[block.length - 1]!, key);
      if (order < 0 || (exclusive && order === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The first index whose key is at or after `key` (after it when `exclusive`). */
function lowerBound(block: readonly string[], key: string, exclusive: boolean): number {
  let lo = 0;
  let hi = block.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const order = compareBytes(block[mid]!, key);
    if (order < 0 || (exclusive && order === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
