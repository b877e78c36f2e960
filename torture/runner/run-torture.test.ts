import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runTorture } from './run-torture.js';

describe('runTorture', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an --out folder that already holds files, before starting anything', async () => {
    dir = mkdtempSync(join(tmpdir(), 'torture-out-'));
    writeFileSync(join(dir, 'c0.jsonl'), '{}\n');
    await expect(
      runTorture({ store: 'memory', cluster: false, servers: 1, seconds: 1, seed: 1, clients: 1, out: dir }),
    ).rejects.toThrow(/is not empty/);
  });
});
