import { describe, expect, it } from 'vitest';
import { HeartbeatRenewer } from '../src/heartbeat-renewer.js';
import type { HeartbeatReply } from '../src/heartbeat-renewer.js';
import type { RenewableLease } from '../src/transport.js';

/** A lease that records its acknowledgements and whether it was reported lost. */
function lease(id: string) {
  const acks: number[] = [];
  let lost = false;
  const it: RenewableLease = {
    id,
    ttlMs: 3_000,
    wantsRenewal: () => !lost,
    acknowledge: (sentAt) => acks.push(sentAt),
    markLost: () => (lost = true),
  };
  return { it, acks, lost: () => lost };
}

describe('HeartbeatRenewer with the bulk heartbeat', () => {
  it('acknowledges the leases it covered, loses the ones named, and not one added while it flew', async () => {
    let answer: (reply: HeartbeatReply) => void = () => undefined;
    const sent: string[] = [];
    const renewer = new HeartbeatRenewer(
      {
        store: 's',
        heartbeat: (op) => {
          sent.push(op);
          return new Promise((resolve) => (answer = resolve));
        },
        forget: () => undefined,
      },
      20,
    );
    const [kept, gone, late] = [lease('kept'), lease('gone'), lease('late')];
    renewer.add(kept.it);
    renewer.add(gone.it);
    await new Promise((r) => setTimeout(r, 40));
    expect(sent).toEqual(['heartbeat']);
    renewer.add(late.it);
    answer({ lost: ['gone'] });
    await renewer.settled();
    expect(kept.acks).toHaveLength(1);
    expect(gone.lost()).toBe(true);
    expect(late.acks).toEqual([]);
    expect(renewer.registered().map((l) => l.id)).toEqual(['kept', 'late']);
    renewer.stop();
  });
});
