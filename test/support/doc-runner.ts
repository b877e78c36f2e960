import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocBlock, ShellStep } from './doc-blocks.js';
import { shellSteps } from './doc-blocks.js';

/** Where a doc's blocks run: the repository root (as the README assumes) and a server's ports. */
export interface DocTarget {
  readonly root: string;
  readonly httpPort: number;
  readonly grpcPort: number;
}

/** What one shell command printed (stdout and stderr together, as a terminal shows them). */
export interface StepRun {
  readonly step: ShellStep;
  readonly output: string;
  readonly exitCode: number;
}

/** A block's time limit; the test's own limit is longer, so a hung block is killed, not left behind. */
export const BLOCK_TIMEOUT_MS = 45_000;
const MARK = '\u001e';

/**
 * The docs are written for a server on the defaults (`localhost:3500`, gRPC 50001); the test's
 * server is on free ports, so those addresses are rewritten and the documented variables are set.
 */
export function rewritePorts(code: string, target: DocTarget): string {
  return code
    .replace(/\b(localhost|127\.0\.0\.1):3500\b/g, `127.0.0.1:${target.httpPort}`)
    .replace(/\b3500\b/g, String(target.httpPort))
    .replace(/\b50001\b/g, String(target.grpcPort));
}

function environment(target: DocTarget): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LEASEHOLD_URL: `http://127.0.0.1:${target.httpPort}`,
    DAPR_HTTP_PORT: String(target.httpPort),
    DAPR_GRPC_PORT: String(target.grpcPort),
    // A token in the runner's environment must not reach a server that has none.
    LEASEHOLD_API_TOKEN: '',
    DAPR_API_TOKEN: '',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
  };
}

/** Runs a shell block's commands in order in one bash, so variables carry from one to the next. */
export async function runShellBlock(block: DocBlock, target: DocTarget): Promise<StepRun[]> {
  const steps = shellSteps(block);
  const script = [
    'exec 2>&1',
    `__mark() { printf '\\n${MARK}%s${MARK}\\n' "$1"; }`,
    ...steps.flatMap((step, i) => [
      `__mark 'start ${i}'`,
      rewritePorts(step.command, target),
      `__mark "end ${i} $?"`,
    ]),
  ].join('\n');
  const { output } = await run('bash', ['-c', script], target);
  return steps.map((step, i) => {
    const start = output.indexOf(`\n${MARK}start ${i}${MARK}\n`);
    const end = new RegExp(`\\n${MARK}end ${i} (\\d+)${MARK}\\n`).exec(output);
    if (start < 0 || !end) {
      return { step, output: `(the block stopped before this command)\n${output}`, exitCode: -1 };
    }
    const from = start + `\n${MARK}start ${i}${MARK}\n`.length;
    return { step, output: output.slice(from, end.index), exitCode: Number(end[1]) };
  });
}

/** Runs a TypeScript block as an ES module with tsx, from a scratch folder inside the repository. */
export async function runTsBlock(
  block: DocBlock,
  target: DocTarget,
): Promise<{ output: string; exitCode: number }> {
  const dir = join(target.root, '.tmp', `doc-${process.pid}-${block.line}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'block.mts');
  writeFileSync(file, rewritePorts(block.code, target));
  try {
    return await run(process.execPath, ['--conditions=source', '--import', 'tsx', file], target);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(
  command: string,
  args: readonly string[],
  target: DocTarget,
): Promise<{ output: string; exitCode: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: target.root,
      env: environment(target),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n(killed after ${BLOCK_TIMEOUT_MS} ms)`;
      killGroup(child.pid);
    }, BLOCK_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Whatever the block left running in the background goes with it.
      killGroup(child.pid);
      resolve({ output, exitCode: code ?? (signal ? 128 : -1) });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
