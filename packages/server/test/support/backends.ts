import { execFileSync } from 'node:child_process';
import { describe } from 'vitest';
import { findPostgresBindir } from './postgres-harness.js';

/** True when CI demands every backend: a missing binary then fails instead of skipping. */
export const backendsRequired = process.env.LEASEHOLD_REQUIRE_BACKENDS === '1';

/** The absolute path of a binary on PATH, or undefined. */
export function findBinary(name: string): string | undefined {
  try {
    return execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Where a backend lives: `postgres` is Debian's bin folder (off PATH), any other a binary on PATH. */
function findBackend(binary: string): string | undefined {
  return binary === 'postgres' ? findPostgresBindir() : findBinary(binary);
}

/**
 * A describe block that needs `binary`: skipped with a loud message when it is missing, and
 * failing under LEASEHOLD_REQUIRE_BACKENDS=1. For `postgres` the body gets the bin folder
 * (`pg_config --bindir`, else the highest /usr/lib/postgresql/<n>/bin), not a binary.
 */
export function describeWithBackend(binary: string, title: string, body: (binaryPath: string) => void): void {
  const path = findBackend(binary);
  if (path) {
    describe(title, () => body(path));
    return;
  }
  if (backendsRequired) {
    describe(title, () => {
      throw new Error(
        `${binary} is not on PATH and LEASEHOLD_REQUIRE_BACKENDS=1: install it (.ci/run does: apt-get install -y redis-server etcd-server postgresql chromium)`,
      );
    });
    return;
  }
  console.warn(
    `\n*** SKIPPING "${title}": ${binary} is not on PATH (set LEASEHOLD_REQUIRE_BACKENDS=1 to fail instead) ***\n`,
  );
  describe.skip(title, () => body(''));
}

// Kept in a file without vitest, so benches can start the harnesses too.
export { freePort } from './free-port.js';
