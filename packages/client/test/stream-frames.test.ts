import { describe, expect, it } from 'vitest';
import { FRAME_BUDGET_CHARS, decodeFrame, encodeFrames } from '../src/stream-protocol.js';
import { useSetup } from './support/setups.js';

describe('stream frames', () => {
  it('splits one turn of requests into frames within the budget, in order', () => {
    const messages = Array.from({ length: 5_000 }, (_, id) => ({ id, op: 'counters.get', name: `c${id}` }));
    const frames = encodeFrames(messages, 10_000);
    expect(frames.length).toBeGreaterThan(1);
    for (const frame of frames) expect(frame.length).toBeLessThanOrEqual(10_000);
    expect(frames.flatMap((frame) => decodeFrame(frame))).toEqual(messages);
    expect(encodeFrames([{ id: 1 }])).toEqual(['{"id":1}']);
    const big = { id: 2, value: 'x'.repeat(FRAME_BUDGET_CHARS) };
    expect(encodeFrames([{ id: 1 }, big, { id: 3 }]).map((f) => decodeFrame(f).length)).toEqual([1, 1, 1]);
  });
});

describe('a turn larger than the server frame limit over the stream', () => {
  const client = useSetup('stream');

  // 30,000 requests in one turn is about 2 MB of JSON: one frame would exceed the server's
  // 1 MiB + 64 KiB limit, and the socket would drop and resend it forever.
  it('is answered whole', async () => {
    const c = client();
    await c.counters.set('frames', 7);
    const values = await Promise.all(Array.from({ length: 30_000 }, () => c.counters.get('frames')));
    expect(values.length).toBe(30_000);
    expect(new Set(values)).toEqual(new Set([7]));
  }, 60_000);
});
