import { spawn } from 'node:child_process';
import { constants, hostname } from 'node:os';
import { describeHolder } from '@leasehold/client';
import type { LeaseLostError } from '@leasehold/client';
import { EXIT, usageError } from '../exit-codes.js';
import { clientFrom, parseCommand, parseDuration, stringFlag } from '../options.js';
import type { Io } from '../output.js';
import { formatMs, spinner } from '../output.js';

export const LOCK_USAGE = `Usage: leasehold lock NAME [--ttl 30s] [--wait 0s] [--grace 10s] [--owner TEXT] -- COMMAND [ARGS...]

Runs COMMAND while holding the lock NAME on a lease that keeps itself alive. If the lease is lost
the command gets SIGTERM, then SIGKILL after --grace, and leasehold exits 76. If the lock is not
acquired within --wait, the command never starts and leasehold exits 75. Otherwise the command's
own exit code is passed through. The command sees LEASEHOLD_LOCK, LEASEHOLD_LEASE_ID and
LEASEHOLD_FENCING_TOKEN in its environment.

  --ttl DURATION    lease TTL (30s)
  --wait DURATION   how long to wait for the lock (0s: fail at once if held)
  --grace DURATION  time between SIGTERM and SIGKILL when the lease is lost (10s)
  --owner TEXT      owner recorded on the lease (host:pid)
`;

const OPTIONS = {
  ttl: { type: 'string' },
  wait: { type: 'string' },
  grace: { type: 'string' },
  owner: { type: 'string' },
} as const;

/** `leasehold lock NAME -- COMMAND...` */
export async function lockCommand(args: readonly string[], io: Io): Promise<number> {
  const split = args.indexOf('--');
  const parsed = parseCommand(split < 0 ? args : args.slice(0, split), OPTIONS);
  if (parsed.values.help) {
    io.stdout.write(LOCK_USAGE);
    return EXIT.OK;
  }
  const command = split < 0 ? [] : args.slice(split + 1);
  const [name, ...extra] = parsed.positionals;
  if (!name) throw usageError('NAME: missing lock name (leasehold lock NAME -- COMMAND)');
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}": put the command after --`);
  if (command.length === 0) throw usageError('COMMAND: missing (leasehold lock NAME -- COMMAND)');
  const ttlMs = parseDuration('ttl', stringFlag(parsed, 'ttl') ?? '30s');
  const waitMs = parseDuration('wait', stringFlag(parsed, 'wait') ?? '0s');
  const graceMs = parseDuration('grace', stringFlag(parsed, 'grace') ?? '10s');
  const json = parsed.values.json === true;
  const say = (text: string, data: Record<string, unknown>) =>
    io.stderr.write(json ? `${JSON.stringify(data)}\n` : `leasehold: ${text}\n`);

  const client = clientFrom(parsed, io.env);
  const interrupted = new AbortController();
  let interruptedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interruptedBy = signal;
    interrupted.abort(new Error(`interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const owner = stringFlag(parsed, 'owner') ?? `${hostname()}:${process.pid}`;
    const lease = await client.leases.grant({ ttlMs, owner });
    const started = performance.now();
    const stop = spinner(
      io,
      () => `waiting for ${name} (${formatMs(waitMs - (performance.now() - started))} left)`,
    );
    const lock = await client.locks
      .acquire(name, { lease, waitMs, signal: interrupted.signal })
      .catch(async (error: unknown) => {
        if (!interruptedBy) throw error;
        await lease.revoke().catch(() => undefined);
        return undefined;
      })
      .finally(stop);
    if (!lock) {
      say(`gave up waiting for ${name}: interrupted by ${interruptedBy}`, { event: 'interrupted', name });
      return 128 + signalNumber(interruptedBy ?? 'SIGINT');
    }
    if (!lock.acquired) {
      const held = describeHolder(lock.holder);
      const holder = held === '' ? '' : ` (held by ${held})`;
      say(`lock ${name} not acquired${holder}`, { event: 'not_acquired', name, holder: lock.holder });
      await lease.revoke().catch(() => undefined);
      return EXIT.NOT_ACQUIRED;
    }
    say(`acquired ${name} (token ${lock.fencingToken}, lease ${lease.id})`, {
      event: 'acquired',
      name,
      fencingToken: lock.fencingToken,
      leaseId: lease.id,
    });
    const outcome = await runWhileHeld(command, lease.signal, graceMs, interrupted.signal, {
      LEASEHOLD_LOCK: name,
      LEASEHOLD_LEASE_ID: lease.id,
      LEASEHOLD_FENCING_TOKEN: String(lock.fencingToken),
    });
    if (outcome.lost) {
      const reason = (lease.signal.reason as LeaseLostError).message;
      say(`${reason}; stopped the command`, { event: 'lost', name, reason });
      return EXIT.LOST;
    }
    await lock.release().catch(() => undefined);
    await lease.revoke().catch(() => undefined);
    return outcome.code;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await client.close();
  }
}

/** Runs the command; on loss sends SIGTERM, then SIGKILL after the grace period. */
function runWhileHeld(
  command: readonly string[],
  lost: AbortSignal,
  graceMs: number,
  interrupted: AbortSignal,
  env: Record<string, string>,
): Promise<{ code: number; lost: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env: { ...process.env, ...env } });
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    };
    const forward = () => child.kill('SIGTERM');
    lost.addEventListener('abort', terminate, { once: true });
    interrupted.addEventListener('abort', forward, { once: true });
    child.once('error', (error: NodeJS.ErrnoException) => {
      process.stderr.write(`leasehold: cannot run ${command[0]}: ${error.message}\n`);
      cleanup();
      resolve({ code: EXIT.COMMAND_NOT_FOUND, lost: false });
    });
    child.once('exit', (code, signal) => {
      cleanup();
      resolve({ code: code ?? 128 + signalNumber(signal), lost: lost.aborted });
    });
    function cleanup() {
      clearTimeout(killTimer);
      lost.removeEventListener('abort', terminate);
      interrupted.removeEventListener('abort', forward);
    }
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? constants.signals[signal] : 1;
}
