/** Most keys one block holds; a fuller block splits in two. */
const BLOCK_MAX = 1024;
const HIGH_UNIT = /[\uD800-\uFFFF]/;

/**
 * A string whose UTF-16 code-unit order (JavaScript's own, native `<`) is the UTF-8 byte order of
 * `key`. Code-unit order is byte order except that surrogates (code points above U+FFFF) sort
 * below U+E000..U+FFFF; so each code point from U+E000 up becomes two units, (cp >> 10) above
 * U+D800 and then cp & 0x3FF, which order as the code points do and above every unit left as is.
 * Nearly every key has no unit at or above U+D800 and is its own sort key.
 */
function sortKey(key: string): string {
  if (!HIGH_UNIT.test(key)) return key;
  let out = '';
  for (const char of key) {
    const point = char.codePointAt(0)!;
    out += point < 0xd800 ? char : String.fromCharCode(0xd800 + (point >> 10), point & 0x3ff);
  }
  return out;
}

/** The key a sort key stands for. */
function keyOf(sort: string): string {
  if (!HIGH_UNIT.test(sort)) return sort;
  let out = '';
  for (let i = 0; i < sort.length; i++) {
    const unit = sort.charCodeAt(i);
    out += unit < 0xd800 ? sort[i] : String.fromCodePoint(((unit - 0xd800) << 10) | sort.charCodeAt(++i));
  }
  return out;
}

/**
 * Orders two well-formed strings as their UTF-8 bytes compare: the order of etcd's ranges and
 * Redis's ZRANGEBYLEX, so a listing pages the same way on every store.
 */
export function compareBytes(a: string, b: string): number {
  const [x, y] = [sortKey(a), sortKey(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A set of strings kept in byte order, for listing a key range a page at a time. Keys sit in
 * sorted blocks of at most BLOCK_MAX, so an insert or delete is two binary searches and a splice
 * of one small block (O(log n + BLOCK_MAX)), never a shift of all n keys; a page costs
 * O(log n + page). Blocks hold sort keys, so every comparison is the engine's native one.
 * Iterate it synchronously: a change during iteration is not supported.
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
    const sorted = keys.map(sortKey).sort();
    this.blocks = [];
    const half = BLOCK_MAX / 2;
    for (let i = 0; i < sorted.length; i += half) this.blocks.push(sorted.slice(i, i + half));
    this.count = sorted.length;
  }

  /** Adds a key; false when it was already there. */
  add(key: string): boolean {
    const sort = sortKey(key);
    if (this.blocks.length === 0) {
      this.blocks.push([sort]);
      this.count = 1;
      return true;
    }
    const b = Math.min(this.blockFor(sort, false), this.blocks.length - 1);
    const block = this.blocks[b]!;
    const at = lowerBound(block, sort, false);
    if (block[at] === sort) return false;
    block.splice(at, 0, sort);
    this.count++;
    if (block.length > BLOCK_MAX) this.blocks.splice(b + 1, 0, block.splice(block.length >> 1));
    return true;
  }

  /** Removes a key; false when it was absent. */
  delete(key: string): boolean {
    const sort = sortKey(key);
    const b = this.blockFor(sort, false);
    const block = this.blocks[b];
    if (!block) return false;
    const at = lowerBound(block, sort, false);
    if (block[at] !== sort) return false;
    block.splice(at, 1);
    this.count--;
    if (block.length === 0) this.blocks.splice(b, 1);
    return true;
  }

  /** The keys from `start` on (after it when `exclusive`), in byte order. */
  *from(start: string, exclusive: boolean): Generator<string> {
    const sort = sortKey(start);
    let b = this.blockFor(sort, exclusive);
    let at = b < this.blocks.length ? lowerBound(this.blocks[b]!, sort, exclusive) : 0;
    for (; b < this.blocks.length; b++, at = 0) {
      const block = this.blocks[b]!;
      for (; at < block.length; at++) yield keyOf(block[at]!);
    }
  }

  /** The first block whose last sort key is at or after `sort` (after it when `exclusive`). */
  private blockFor(sort: string, exclusive: boolean): number {
    let lo = 0;
    let hi = this.blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const block = this.blocks[mid]!;
      const last = block[block.length - 1]!;
      if (last < sort || (exclusive && last === sort)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The first index whose sort key is at or after `sort` (after it when `exclusive`). */
function lowerBound(block: readonly string[], sort: string, exclusive: boolean): number {
  let lo = 0;
  let hi = block.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const here = block[mid]!;
    if (here < sort || (exclusive && here === sort)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
