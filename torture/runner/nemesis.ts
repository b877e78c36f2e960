import type { ChildProcess } from 'node:child_process';
import type { HistoryRecorder } from '../history/history-recorder.js';
import { faultDurationRange } from '../nemesis/fault-schedule.js';
import type { Fault } from './backend.js';
import type { Prng } from './prng.js';
import type { ServerGroup } from './servers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The longest client TTL: a client is frozen for longer than this. */
const MAX_TTL_MS = 3_000;

/** SIGSTOP of a random client for longer than any TTL, then SIGCONT. */
export function clientStopFault(clients: ReadonlyMap<string, ChildProcess>, rng: Prng): Fault {
  let stopped: [string, ChildProcess] | undefined;
  return {
    kind: 'client-stop',
    inject: async () => {
      stopped = rng.pick([...clients]);
      stopped[1].kill('SIGSTOP');
      await sleep(rng.int(MAX_TTL_MS + 500, MAX_TTL_MS + 2_000));
      return `SIGSTOP ${stopped[0]}`;
    },
    heal: () => {
      stopped?.[1].kill('SIGCONT');
      return Promise.resolve(`SIGCONT ${stopped?.[0]}`);
    },
  };
}

/**
 * A backend fault kept in force for its kind's duration (`faultDurationRange`: a SIGSTOP or a cut for
 * about a second, a killed process down for 0.3–1.5 s) before the schedule heals it: the backend's own
 * `inject` returns as soon as the fault is applied.
 */
export function heldFault(fault: Fault, rng: Prng): Fault {
  const [min, max] = faultDurationRange(fault.kind);
  return {
    kind: fault.kind,
    inject: async () => {
      const done = await fault.inject();
      await sleep(rng.int(min, max - 1));
      return done;
    },
    heal: () => fault.heal(),
  };
}

/** `kill -9` of one Leasehold server (one of two, when there are two), then a restart on its port. */
export function serverKillFault(servers: ServerGroup, rng: Prng): Fault {
  let killed = 0;
  return {
    kind: 'server-kill',
    inject: async () => {
      killed = rng.int(0, servers.ports.length - 1);
      await servers.kill(killed);
      await sleep(rng.int(200, 1_500));
      return `kill -9 server-${killed}`;
    },
    heal: async () => {
      await servers.restart(killed);
      return `restart server-${killed}`;
    },
  };
}

/**
 * The seeded fault schedule: one fault at a time, 0.5–2.5 s apart, going round the kinds in a
 * shuffled order so that every kind comes up in a short run. Each inject and heal is a `fault` op.
 */
export class Nemesis {
  /** Faults injected so far, by kind. */
  readonly injected: Record<string, number> = {};
  private stopping = false;

  constructor(
    private readonly faults: readonly Fault[],
    private readonly recorder: HistoryRecorder,
    private readonly rng: Prng,
  ) {}

  /** Applies faults until `untilMs` (Date.now() time) or `stop()`; every fault is healed before it returns. */
  async run(untilMs: number): Promise<void> {
    let order: Fault[] = [];
    while (!this.stopping && this.faults.length > 0) {
      await sleep(this.rng.int(500, 2_500));
      if (this.stopping || Date.now() > untilMs) return;
      if (order.length === 0) order = this.shuffled();
      const fault = order.shift()!;
      this.injected[fault.kind] = (this.injected[fault.kind] ?? 0) + 1;
      await this.apply(fault);
    }
  }

  /** Ends the schedule after the fault in progress is healed. */
  stop(): void {
    this.stopping = true;
  }

  private async apply(fault: Fault): Promise<void> {
    const complete = this.recorder.invoke('nemesis', 'fault', { fault: fault.kind });
    try {
      const done = await fault.inject();
      complete('ok', { fault: done });
    } catch (error) {
      complete('unknown', { error: String(error) });
    }
    const healed = this.recorder.invoke('nemesis', 'fault', { fault: `heal ${fault.kind}` });
    try {
      healed('ok', { fault: await fault.heal() });
    } catch (error) {
      healed('unknown', { error: String(error) });
    }
  }

  private shuffled(): Fault[] {
    const order = [...this.faults];
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order;
  }
}
