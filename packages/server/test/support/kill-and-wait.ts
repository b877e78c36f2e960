import type { ChildProcess } from 'node:child_process';

/** Sends `signal` to the child by PID and resolves once it has exited; nothing when it is not running. */
export async function killAndWait(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child?.pid || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, signal);
  await exited;
}
