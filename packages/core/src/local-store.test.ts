import { afterAll, describe, it } from 'vitest';
import { conformanceCases } from './conformance/index.js';
import { LocalStore } from './local-store.js';

describe('lock.memory conformance', () => {
  const store = new LocalStore();
  afterAll(() => store.close());
  conformanceCases.forEach((c, i) => {
    it(c.name, () => c.run({ store, ttlMs: 300, expirySlackMs: 300, prefix: `case${i}/` }));
  });
});
