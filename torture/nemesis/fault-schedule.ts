import type { Fault } from '../runner/backend.js';

/** One planned fault: injected `atMs` after the run starts and healed `durationMs` later. */
export interface ScheduledFault {
  readonly atMs: number;
  readonly fault: Fault;
  readonly durationMs: number;
}

/** A seeded PRNG (mulberry32): the same seed gives the same run, on any machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// How long each kind of fault lasts, [min, max) ms, keyed by the verb a kind starts with. A pause
// of about a second is a slow backend; a reset of 1–2 s outlasts one reconnect back-off.
const DURATIONS_MS: Readonly<Record<string, readonly [number, number]>> = {
  kill: [300, 1_500],
  sigstop: [800, 1_200],
  reset: [1_000, 2_000],
  blackhole: [800, 1_200],
};
const DEFAULT_DURATION_MS: readonly [number, number] = [500, 1_500];

/** The [min, max) duration of a fault, by the first word of its kind (`kill`, `sigstop`, `reset`, `blackhole`). */
export function faultDurationRange(kind: string): readonly [number, number] {
  return DURATIONS_MS[kind.split(/[\s:]/, 1)[0] ?? ''] ?? DEFAULT_DURATION_MS;
}

/**
 * A reproducible fault schedule: one fault at a time, a gap drawn around `meanGapMs` (exponential,
 * at least 200 ms) after the previous fault healed, every fault healed before `seconds` end.
 * The same faults, seed and options give the same sequence.
 */
export function* faultSchedule(
  faults: readonly Fault[],
  options: { seed: number; seconds: number; meanGapMs: number },
): Generator<ScheduledFault> {
  if (faults.length === 0) return;
  const random = seededRandom(options.seed);
  const endMs = options.seconds * 1_000;
  let freeAtMs = 0;
  for (;;) {
    const gapMs = Math.max(200, Math.round(-Math.log(1 - random()) * options.meanGapMs));
    const fault = faults[Math.floor(random() * faults.length)]!;
    const [min, max] = faultDurationRange(fault.kind);
    const durationMs = Math.round(min + random() * (max - min));
    const atMs = freeAtMs + gapMs;
    if (atMs + durationMs > endMs) return;
    yield { atMs, fault, durationMs };
    freeAtMs = atMs + durationMs;
  }
}

/** What `runFaultSchedule` reports: each inject and heal with its description, on the caller's clock. */
export type FaultListener = (event: {
  readonly phase: 'inject' | 'heal';
  readonly kind: string;
  readonly description: string;
}) => void;

/**
 * Runs a schedule against the clock from now: sleeps to each `atMs`, injects, sleeps `durationMs`,
 * heals (awaiting the heal, so a slow restart delays the next fault rather than overlapping it).
 * Stops early on `signal`, healing the fault in progress first.
 */
export async function runFaultSchedule(
  schedule: Iterable<ScheduledFault>,
  onEvent: FaultListener,
  signal?: AbortSignal,
): Promise<void> {
  const startMs = performance.now();
  for (const { atMs, fault, durationMs } of schedule) {
    await sleep(atMs - (performance.now() - startMs), signal);
    if (signal?.aborted) return;
    onEvent({ phase: 'inject', kind: fault.kind, description: await fault.inject() });
    try {
      await sleep(durationMs, signal);
    } finally {
      onEvent({ phase: 'heal', kind: fault.kind, description: await fault.heal() });
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
