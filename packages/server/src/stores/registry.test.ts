import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ComponentError, loadComponents } from '../components.js';
import { createStore } from './create-store.js';
import { findStoreType, storeTypeNames } from './registry.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function componentFolder(name: string, type: string): string {
  const folder = join(dir, name);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder);
  writeFileSync(
    join(folder, 'c.yaml'),
    `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: s\nspec:\n  type: ${type}\n`,
  );
  return folder;
}

describe('the store registry', () => {
  it('lists each store type once, the embedded one first', () => {
    expect(storeTypeNames()).toEqual([
      'lock.sqlite',
      'lock.memory',
      'lock.redis',
      'lock.etcd',
      'lock.postgresql',
    ]);
    expect(findStoreType('lock.nope')).toBeUndefined();
  });

  it('is what component files are checked against', () => {
    for (const type of storeTypeNames()) {
      expect(loadComponents(componentFolder(type, type)).components[0]?.type).toBe(type);
    }
    expect(() => loadComponents(componentFolder('other', 'lock.nope'))).toThrow(ComponentError);
    expect(() => loadComponents(componentFolder('other', 'lock.nope'))).toThrow(
      `unsupported lock store "lock.nope" (use one of ${storeTypeNames().join(', ')})`,
    );
  });

  it('opens a component through its entry', async () => {
    const spec = { name: 'kept', version: 'v1', file: '(test)', metadata: new Map<string, string>() };
    const sqlite = await createStore({ ...spec, type: 'lock.sqlite' }, { dataDir: dir });
    await sqlite.close();
    expect(existsSync(join(dir, 'kept.sqlite'))).toBe(true);
    const memory = await createStore({ ...spec, type: 'lock.memory' }, { dataDir: dir });
    await memory.close();
  });

  it('refuses a type it does not list, naming the component', async () => {
    const spec = { name: 'odd', type: 'lock.nope', version: 'v1', file: '(test)', metadata: new Map() };
    await expect(createStore(spec, { dataDir: dir })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'component odd: spec.type: lock.nope is not available in this build',
    });
  });

  it('rejects bad metadata instead of throwing', async () => {
    const spec = { name: 'bad', type: 'lock.redis', version: 'v1', file: '(test)', metadata: new Map() };
    await expect(createStore(spec, { dataDir: dir })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
