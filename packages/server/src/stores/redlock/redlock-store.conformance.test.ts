import { describeWithBackend } from '../../../test/support/backends.js';
import { conformanceTests } from '../../../test/support/conformance-tests.js';
import { useRedlock } from '../../../test/support/redlock-harness.js';

describeWithBackend('redis-server', 'lock.redis conformance (Redlock over 3 masters)', (binary) => {
  const redlock = useRedlock(binary);
  // Keys expire on each master's own clock, exact to the millisecond; the slack covers polling.
  conformanceTests(
    'lock.redis (Redlock)',
    () => redlock.store,
    { ttlMs: 300, expirySlackMs: 200 },
    { lacks: ['semaphores', 'rwlocks', 'multiLock'] },
  );
});
