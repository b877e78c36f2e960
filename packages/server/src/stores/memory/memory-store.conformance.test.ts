import { LocalStore } from '@leasehold/core';
import { afterAll, describe } from 'vitest';
import { conformanceTests } from '../../../test/support/conformance-tests.js';

describe('lock.memory conformance', () => {
  // What `lock.memory` opens: core's LocalStore with no journal.
  const store = new LocalStore();
  afterAll(() => store.close());
  conformanceTests('lock.memory', store, { ttlMs: 300, expirySlackMs: 300 });
});
