import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The four publishable packages, in dependency order. */
export const PACKAGES = ['@leasehold/core', '@leasehold/server', '@leasehold/client', '@leasehold/cli'];

/**
 * The environment of a command run for a user's app: none of the repository's own npm settings
 * (`npm test` exports them as npm_* variables, build-from-source among them).
 */
export function appEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'INIT_CWD') env[key] = value;
  }
  return { ...env, LEASEHOLD_API_TOKEN: '', DAPR_API_TOKEN: '', ...extra };
}

/** `npm run build`, then `npm pack -w` of the four packages into `dest`; the tarball paths. */
export async function packWorkspaces(root: string, dest: string): Promise<string[]> {
  mkdirSync(dest, { recursive: true });
  await exec('npm', ['run', 'build'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  // The build just ran: skip each package's `prepack` (the same build), whose output would also
  // land in the --json answer on stdout.
  const workspaces = PACKAGES.flatMap((name) => ['-w', name]);
  const args = ['pack', ...workspaces, '--ignore-scripts', '--pack-destination', dest, '--json'];
  const { stdout } = await exec('npm', args, { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  const packed = JSON.parse(stdout) as Array<{ name: string; filename: string }>;
  return PACKAGES.map((name) => {
    const entry = packed.find((p) => p.name === name);
    if (!entry) throw new Error(`npm pack did not pack ${name}`);
    return join(dest, entry.filename);
  });
}

/** A fresh ESM app outside the repository with the tarballs installed; how npm reached its packages. */
export async function installApp(
  tarballs: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ dir: string; mode: 'offline' | 'prefer-offline' }> {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-app-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-app', private: true, type: 'module' }));
  const install = (flag: string) =>
    exec('npm', ['install', '--no-audit', '--no-fund', flag, ...tarballs], {
      cwd: dir,
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
  try {
    await install('--offline');
    return { dir, mode: 'offline' };
  } catch (error) {
    // The cache holds every third-party tarball (the repository's install put them there) but may
    // lack their registry metadata, which a first resolution outside the lockfile needs.
    if (!String((error as { stderr?: string }).stderr).includes('ENOTCACHED')) throw error;
    await install('--prefer-offline');
    return { dir, mode: 'prefer-offline' };
  }
}

/** Runs `node` on a file of the app; stdout, stderr and the exit code. */
export async function runNode(
  dir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, args, { cwd: dir, env, timeout: 30_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: failure.stdout ?? '', stderr: failure.stderr ?? '', code: failure.code ?? -1 };
  }
}

/** `leasehold serve` from the app's installed CLI on ports the OS picks; resolves with the HTTP port. */
export function serveFromApp(
  dir: string,
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; port: number; log: () => string }> {
  const bin = join(dir, 'node_modules', '.bin', 'leasehold');
  const child = spawn(bin, ['serve', '--port', '0', '--grpc-port', '0', '--data-dir', join(dir, 'data')], {
    cwd: dir,
    env: { ...env, LEASEHOLD_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`leasehold serve did not report its port within 20 s:\n${log}`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`leasehold serve exited with ${code}:\n${log}`));
    });
    const read = (chunk: Buffer) => {
      log += chunk.toString();
      // The start-up banner's JSON line carries the URLs as fields.
      const line = log.split('\n').find((l) => l.includes('"banner"'));
      if (line === undefined) return;
      clearTimeout(timer);
      const { banner } = JSON.parse(line) as { banner: { http: string } };
      resolve({ child, port: Number(new URL(banner.http).port), log: () => log });
    };
    child.stdout.on('data', read);
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  });
}
