import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants, hostname } from 'node:os';
import { ConnectionError, LeaseholdClientError } from '@leasehold/client';
import type { LeaseLostError } from '@leasehold/client';
import which from 'which';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { clientFrom, parseDuration, stringFlag } from '../options.js';
import type { CommandSpec, Parsed } from '../options.js';
import type { Io } from '../output.js';
import { formatMs, spinner } from '../output.js';
import { TARGET_FLAGS, describeTarget, holdTargetOf, take } from './hold-target.js';

const DETAILS = `Runs COMMAND while holding the lock NAME on a lease that keeps itself alive. With --permits N
(and --limit M) it holds N permits of the semaphore NAME instead (--limit creates it with that
limit, or must equal the limit it has); with --read or --write, the read/write lock NAME in that
mode. COMMAND is looked up on PATH first: if it is not there or not executable, nothing is
locked and leasehold exits 127, as a shell does. If the lease is lost the command gets SIGTERM,
then SIGKILL after --grace, and leasehold exits 76. If nothing is acquired within --wait, the
command never starts and leasehold exits 75. Otherwise the command's own exit code is passed
through. The command sees LEASEHOLD_LOCK, LEASEHOLD_LOCK_KIND (lock, semaphore or rwlock),
LEASEHOLD_LEASE_ID and LEASEHOLD_FENCING_TOKEN in its environment, and LEASEHOLD_PERMITS or
LEASEHOLD_LOCK_MODE for a semaphore or a read/write lock.
`;

/** `leasehold lock NAME [--permits N --limit M | --read | --write] -- COMMAND...` */
export const LOCK: CommandSpec = {
  name: 'lock',
  usage:
    'NAME [--ttl 30s] [--wait 0s] [--grace 10s] [--owner TEXT] [--permits N --limit M | --read | --write] -- COMMAND [ARGS...]',
  summary: 'run COMMAND while holding lock NAME (or semaphore permits, or a read/write lock)',
  details: DETAILS,
  flags: [
    { flags: '--ttl <duration>', description: 'lease TTL (30s)' },
    { flags: '--wait <duration>', description: 'how long to wait for the lock (0s: fail at once if held)' },
    {
      flags: '--grace <duration>',
      description: 'time between SIGTERM and SIGKILL when the lease is lost (10s)',
    },
    { flags: '--owner <text>', description: 'owner recorded on the lease (host:pid)' },
    ...TARGET_FLAGS,
  ],
  runsCommand: true,
  run: lockCommand,
};

async function lockCommand(parsed: Parsed, io: Io): Promise<number> {
  const { command } = parsed;
  const [name, ...extra] = parsed.positionals;
  if (!name) throw usageError('NAME: missing lock name (leasehold lock NAME -- COMMAND)');
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}": put the command after --`);
  if (command.length === 0) throw usageError('COMMAND: missing (leasehold lock NAME -- COMMAND)');
  const ttlMs = parseDuration('ttl', stringFlag(parsed, 'ttl') ?? '30s');
  const waitMs = parseDuration('wait', stringFlag(parsed, 'wait') ?? '0s');
  const graceMs = parseDuration('grace', stringFlag(parsed, 'grace') ?? '10s');
  const target = holdTargetOf(parsed, name);
  await requireExecutable(command[0]!);
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
    const what = describeTarget(target);
    const stop = spinner(
      io,
      () => `waiting for ${what} (${formatMs(waitMs - (performance.now() - started))} left)`,
    );
    const taken = await take(client, target, { lease, waitMs, signal: interrupted.signal })
      .catch(async (error: unknown) => {
        // A refusal (LIMIT_MISMATCH, NOT_FOUND, ...) or an interrupt: the lease has nothing to hold.
        if (interruptedBy || refused(error)) await lease.revoke().catch(() => undefined);
        if (!interruptedBy) throw error;
        return undefined;
      })
      .finally(stop);
    if (!taken) {
      say(`gave up waiting for ${what}: interrupted by ${interruptedBy}`, { event: 'interrupted', name });
      return 128 + signalNumber(interruptedBy ?? 'SIGINT');
    }
    if (!('fencingToken' in taken)) {
      say(taken.text, { event: 'not_acquired', name, ...taken.details });
      await lease.revoke().catch(() => undefined);
      return EXIT.NOT_ACQUIRED;
    }
    const { fencingToken } = taken;
    say(`acquired ${what} (token ${fencingToken}, lease ${lease.id})`, {
      event: 'acquired',
      name,
      kind: target.kind,
      fencingToken,
      leaseId: lease.id,
      ...(target.kind === 'semaphore' ? { permits: target.permits } : {}),
      ...(target.kind === 'rwlock' ? { mode: target.mode } : {}),
    });
    const outcome = await runWhileHeld(command, lease.signal, graceMs, interrupted.signal, {
      ...taken.env,
      LEASEHOLD_LEASE_ID: lease.id,
      LEASEHOLD_FENCING_TOKEN: String(fencingToken),
    });
    if (outcome.lost) {
      const reason = (lease.signal.reason as LeaseLostError).message;
      say(`${reason}; stopped the command`, { event: 'lost', name, reason });
      return EXIT.LOST;
    }
    await taken.release().catch(() => undefined);
    await lease.revoke().catch(() => undefined);
    return outcome.code;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await client.close();
  }
}

/** The server answered and said no: the lease is reachable, so revoke it rather than let it lapse. */
function refused(error: unknown): boolean {
  return error instanceof LeaseholdClientError && !(error instanceof ConnectionError);
}

/** Looks COMMAND up on PATH (or at its path) before any lock is taken; exits 127 as a shell does. */
async function requireExecutable(command: string): Promise<void> {
  if (command !== '' && (await which(command, { nothrow: true })) !== null) return;
  const problem = command.includes('/') && existsSync(command) ? 'not executable' : 'command not found';
  throw new CliError(`${command}: ${problem}; nothing was locked`, EXIT.COMMAND_NOT_FOUND);
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
