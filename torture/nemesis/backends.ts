import type { StartBackend } from '../runner/backend.js';
import { startEtcd } from './etcd-backend.js';
import { startRedis, startRedlock } from './redis-backends.js';

/**
 * The nemesis's backends, a drop-in for the runner's plain ones: the same component, plus faults.
 * `dir` (the caller's, never removed) holds Redis's data; `seed` picks which member a fault hits;
 * `cluster` gives etcd three members (Redis ignores it; Redlock always has three masters).
 */
export const startBackend: StartBackend = async (kind, { dir, cluster, seed }) => {
  switch (kind) {
    case 'redis':
      return startRedis(dir);
    case 'redlock':
      return startRedlock(dir, seed);
    case 'etcd':
      return startEtcd(cluster, seed);
  }
};

export { faultSchedule, runFaultSchedule } from './fault-schedule.js';
export type { ScheduledFault } from './fault-schedule.js';
