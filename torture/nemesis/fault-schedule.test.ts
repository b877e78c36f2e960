import { describe, expect, it } from 'vitest';
import type { Fault } from '../runner/backend.js';
import { faultDurationRange, faultSchedule, runFaultSchedule } from './fault-schedule.js';

function recordingFault(kind: string, log: string[]): Fault {
  return {
    kind,
    inject: () => Promise.resolve(`inject ${kind}`).finally(() => log.push(`+${kind}`)),
    heal: () => Promise.resolve(`heal ${kind}`).finally(() => log.push(`-${kind}`)),
  };
}

const kinds = ['kill redis', 'sigstop redis', 'reset redis proxy', 'blackhole redis proxy'];
const faults = kinds.map((kind) => recordingFault(kind, []));
const plan = (seed: number) =>
  [...faultSchedule(faults, { seed, seconds: 120, meanGapMs: 2_000 })].map((s) => ({
    atMs: s.atMs,
    kind: s.fault.kind,
    durationMs: s.durationMs,
  }));

describe('faultSchedule', () => {
  it('is reproducible from the seed, and another seed gives another run', () => {
    expect(plan(7)).toEqual(plan(7));
    expect(plan(8)).not.toEqual(plan(7));
  });

  it('runs one fault at a time, each healed before the next and before the end', () => {
    const steps = plan(42);
    expect(steps.length).toBeGreaterThan(20);
    steps.forEach((step, i) => {
      const [min, max] = faultDurationRange(step.kind);
      expect(step.durationMs).toBeGreaterThanOrEqual(min);
      expect(step.durationMs).toBeLessThanOrEqual(max);
      const previous = steps[i - 1];
      if (previous) expect(step.atMs).toBeGreaterThanOrEqual(previous.atMs + previous.durationMs + 200);
    });
    expect(steps.at(-1)!.atMs + steps.at(-1)!.durationMs).toBeLessThanOrEqual(120_000);
    expect(new Set(steps.map((s) => s.kind))).toEqual(new Set(kinds));
  });

  it('gives the durations the brief asks for, by the kind first word', () => {
    expect(faultDurationRange('sigstop etcd member')).toEqual([800, 1_200]);
    expect(faultDurationRange('reset one redlock master proxy')).toEqual([1_000, 2_000]);
    expect(faultDurationRange('blackhole redis proxy')).toEqual([800, 1_200]);
  });

  it('has nothing to schedule without faults', () => {
    expect([...faultSchedule([], { seed: 1, seconds: 60, meanGapMs: 500 })]).toEqual([]);
  });
});

describe('runFaultSchedule', () => {
  it('injects and heals in order, and heals the fault in progress when aborted', async () => {
    const log: string[] = [];
    const [a, b] = [recordingFault('kill a', log), recordingFault('sigstop b', log)];
    const events: string[] = [];
    const abort = new AbortController();
    const schedule = [
      { atMs: 0, fault: a, durationMs: 20 },
      { atMs: 30, fault: b, durationMs: 10_000 },
      { atMs: 20_000, fault: a, durationMs: 10 },
    ];
    const run = runFaultSchedule(schedule, (e) => events.push(`${e.phase}: ${e.description}`), abort.signal);
    setTimeout(() => abort.abort(), 150);
    await run;
    expect(log).toEqual(['+kill a', '-kill a', '+sigstop b', '-sigstop b']);
    expect(events).toEqual([
      'inject: inject kill a',
      'heal: heal kill a',
      'inject: inject sigstop b',
      'heal: heal sigstop b',
    ]);
  });
});
