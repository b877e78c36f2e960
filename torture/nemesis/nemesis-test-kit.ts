import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Fault } from '../runner/backend.js';

/** A temp folder for one suite's backend data, and its removal. */
export function tempDir(): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'leasehold-nemesis-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Injects `fault` twice (the second changes nothing), runs `whileInjected`, heals it twice (likewise),
 * and returns both descriptions.
 */
export async function injectAndHeal(
  fault: Fault,
  whileInjected: (description: string) => Promise<void>,
): Promise<{ injected: string; healed: string }> {
  const injected = await fault.inject();
  expect(await fault.inject()).toBe(injected);
  await whileInjected(injected);
  const healed = await fault.heal();
  expect(await fault.heal()).toBe(healed);
  return { injected, healed };
}

/** Retries `call` for up to 15 s (a client reconnecting, a store's circuit half-opening). */
export async function eventually<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}
