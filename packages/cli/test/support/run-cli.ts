import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./leasehold-dev.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** A running `leasehold` process (from source) with its output so far. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number | null>;
  /** Resolves once stderr matches `pattern`. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Starts `leasehold ARGS...` against `url` over HTTP. */
export function startCli(args: readonly string[], url: string): CliProcess {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', ENTRY, ...args], {
    cwd: ROOT,
    env: { ...process.env, LEASEHOLD_URL: url, LEASEHOLD_TRANSPORT: 'http' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStderr: async (pattern, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(err);
        if (match) return match;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`stderr never matched ${pattern}:\n${err}\nstdout:\n${out}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

/** Runs `leasehold ARGS...` to the end. */
export async function runCli(
  args: readonly string[],
  url: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = startCli(args, url);
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}
