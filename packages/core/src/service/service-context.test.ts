import { describe, expect, it } from 'vitest';
import type { Store } from '../store.js';
import type { StoreBinding } from '../store-binding.js';
import type { Caller } from '../tenancy.js';
import { ServiceContext } from './service-context.js';

const app = (appId: string): Caller => ({ appId, role: 'app' });
const binding = (name: string, keyPrefix: string): StoreBinding => ({
  name,
  type: 'lock.memory',
  keyPrefix,
  store: {} as Store,
});

describe('ServiceContext.scopeOf', () => {
  it('keeps one key scope per store and app, each naming its own keys', () => {
    const shared = binding('shared', 'name');
    const own = binding('own', 'appid');
    const context = new ServiceContext([shared, own]);
    expect(context.scopeOf(app('a'), own)).toBe(context.scopeOf(app('a'), own));
    expect(context.scopeOf(app('a'), own).lock('x')).toBe('lock||a||x');
    expect(context.scopeOf(app('b'), own).lock('x')).toBe('lock||b||x');
    expect(context.scopeOf(app('a'), shared).lock('x')).toBe('lock||shared||x');
    expect(context.scopeOf(app('b'), shared).kv('k')).toBe('kv||shared||k');
  });

  it('still names every app’s keys rightly once more apps came than it keeps', () => {
    const own = binding('own', 'appid');
    const context = new ServiceContext([own]);
    for (let i = 0; i < 3_000; i++)
      expect(context.scopeOf(app(`app-${i}`), own).lock('x')).toBe(`lock||app-${i}||x`);
    expect(context.scopeOf(app('app-7'), own).counter('c')).toBe('counter||app-7||c');
  });
});
