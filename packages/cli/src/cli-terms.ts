/** The flag or argument each API field is given as on the command line. */
const FLAG_OF_FIELD: Record<string, string> = {
  ttlMs: '--ttl',
  waitMs: '--wait',
  maxHoldMs: '--max-hold',
  owner: '--owner',
  leaseId: '--lease',
  name: 'NAME',
  key: 'KEY',
  value: 'VALUE',
  delta: 'DELTA',
  ifVersion: '--if-version',
  limit: '--limit',
  permits: '--permits',
  after: '--after',
  prefix: 'PREFIX',
};

const DURATION_FIELDS = new Set(['ttlMs', 'waitMs', 'maxHoldMs']);

const PARTS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/** A duration as the flags take it: `500ms`, `1s`, `1m30s`, `10m`, `365d`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return ms === 0 ? '0s' : `-${formatDuration(-ms)}`;
  let left = Math.round(ms);
  let text = '';
  for (const [unit, size] of PARTS) {
    const count = Math.floor(left / size);
    if (count > 0) text += `${count}${unit}`;
    left -= count * size;
  }
  return text;
}

/**
 * Says a refusal of the server (or the SDK) in the CLI's words: `ttlMs: must be between 1000
 * and 31536000000, got 500` becomes `--ttl: must be at least 1s, got 500ms`.
 */
export function inCliTerms(message: string): string {
  const range = /^(\w+): must be between (-?\d+) and (-?\d+), got (-?\d+)$/.exec(message);
  if (range) {
    const [, field = '', min, max, got] = range;
    const say = DURATION_FIELDS.has(field) ? (n: string | undefined) => formatDuration(Number(n)) : String;
    const bound = Number(got) < Number(min) ? `at least ${say(min)}` : `at most ${say(max)}`;
    return `${flagOf(field)}: must be ${bound}, got ${say(got)}`;
  }
  const floor = /^(\w+): must be an integer number of milliseconds >= (\d+), got (-?\d+)$/.exec(message);
  if (floor) {
    const [, field = '', min, got] = floor;
    return `${flagOf(field)}: must be at least ${formatDuration(Number(min))}, got ${formatDuration(Number(got))}`;
  }
  const named = /^(\w+): (.*)$/s.exec(message);
  if (named && FLAG_OF_FIELD[named[1]!] !== undefined) return `${flagOf(named[1]!)}: ${named[2]}`;
  return message;
}

function flagOf(field: string): string {
  return FLAG_OF_FIELD[field] ?? field;
}
