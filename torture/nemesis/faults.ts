import type { Fault } from '../runner/backend.js';
import type { CutMode, TcpProxy } from './tcp-proxy.js';

/** One backend process as the faults see it: a redis-server or an etcd member, with its proxy. */
export interface Member {
  /** Its name in fault descriptions (`redis`, `redlock-2`, `etcd-1 (leader)`). */
  readonly label: string;
  readonly proxy: TcpProxy;
  pid(): number | undefined;
  /** `kill -9`; resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts it again on its port and data; resolves once it (and its cluster) is healthy. */
  restart(): Promise<void>;
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void;
  /** Resolves once the backend answers again after a pause or a cut (and its cluster is healthy). */
  settle(): Promise<void>;
}

/** Picks the member a fault hits, at each inject (a seeded choice, or the current leader). */
export type PickMember = () => Promise<Member>;

/**
 * A fault from an inject step and a heal step that may hit a different member each time. Both are
 * idempotent (inject while injected and heal while healthy change nothing and return the last
 * description) and serialised, so a heal never runs beside its inject.
 */
function fault(kind: string, pick: PickMember, steps: (member: Member) => FaultSteps): Fault {
  let current: { member: Member; description: string } | undefined;
  let lastHeal = `${kind}: nothing to heal`;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(step: () => Promise<T>): Promise<T> => {
    const next = queue.then(step, step);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    kind,
    inject: () =>
      serial(async () => {
        if (current) return current.description;
        const member = await pick();
        const description = await steps(member).inject();
        current = { member, description };
        return description;
      }),
    heal: () =>
      serial(async () => {
        if (!current) return lastHeal;
        lastHeal = await steps(current.member).heal();
        current = undefined;
        return lastHeal;
      }),
  };
}

interface FaultSteps {
  inject(): Promise<string>;
  heal(): Promise<string>;
}

/** `kill -9` of a member; healed by a restart on the same port and data. */
export function killFault(kind: string, pick: PickMember): Fault {
  return fault(kind, pick, (member) => ({
    async inject() {
      const pid = member.pid();
      await member.kill();
      return `kill -9 ${member.label} (pid ${pid ?? 'none'})`;
    },
    async heal() {
      await member.restart();
      return `restart ${member.label} (pid ${member.pid() ?? 'none'})`;
    },
  }));
}

/** SIGSTOP of a member (a backend that hangs with its sockets open); healed by SIGCONT. */
export function pauseFault(kind: string, pick: PickMember): Fault {
  return fault(kind, pick, (member) => ({
    inject() {
      member.signal('SIGSTOP');
      return Promise.resolve(`SIGSTOP ${member.label} (pid ${member.pid() ?? 'none'})`);
    },
    async heal() {
      member.signal('SIGCONT');
      await member.settle();
      return `SIGCONT ${member.label}`;
    },
  }));
}

/** A cut of a member's proxy (`reset`: connections refused; `blackhole`: they hang); healed by restoring it. */
export function cutFault(kind: string, pick: PickMember, mode: CutMode): Fault {
  return fault(kind, pick, (member) => ({
    inject() {
      member.proxy.cut(mode);
      return Promise.resolve(`${mode} proxy ${member.label} (port ${member.proxy.port})`);
    },
    async heal() {
      member.proxy.restore();
      await member.settle();
      return `restore proxy ${member.label}`;
    },
  }));
}
