/** One sample of the Prometheus text format: a metric name, its labels and its value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses Prometheus text exposition (comments skipped; values as numbers, `NaN`/`+Inf` included). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) {
      if (key !== undefined && raw !== undefined)
        labels[key] = raw.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sums the samples of the first metric name `pick` accepts; undefined when none exists. */
function total(samples: Sample[], pick: (s: Sample) => boolean): number | undefined {
  let sum: number | undefined;
  for (const sample of samples) {
    if (pick(sample) && Number.isFinite(sample.value)) sum = (sum ?? 0) + sample.value;
  }
  return sum;
}

const ACQUIRE_ROUTES = new Set(['/v1/:store/locks/acquire', '/v1.0-alpha1/lock/:store']);

/**
 * The server's cumulative counters the console charts. Dedicated series win when the server has
 * them (`leasehold_*acquire*_total`, `leasehold_*wait*_seconds`); else the HTTP route counters
 * stand in; a counter the server does not export at all is undefined and shown as absent.
 */
export interface Counters {
  requests?: number;
  acquires?: number;
  /** Seconds spent in acquires, and how many: their ratio over an interval is the mean wait. */
  waitSeconds?: number;
  waitCount?: number;
  source: { acquires: string; wait: string };
}

/** Reads the counters the console charts out of one scrape. */
export function readCounters(samples: Sample[]): Counters {
  const names = new Set(samples.map((s) => s.name));
  const own = (re: RegExp) => [...names].find((n) => re.test(n));
  const requestsName = own(/^leasehold_requests_total$/) ?? 'leasehold_http_requests_total';
  // Lock series first: the semaphore and read/write lock ones match the general patterns too.
  const acquireName = own(/^leasehold_lock_acquires_total$/) ?? own(/^leasehold_\w*acquires?_total$/);
  const waitName = (
    own(/^leasehold_lock_wait_seconds_sum$/) ?? own(/^leasehold_\w*wait\w*_seconds_sum$/)
  )?.replace(/_sum$/, '');
  const httpDuration = 'leasehold_http_request_duration_seconds';
  const onAcquireRoute = (s: Sample) => ACQUIRE_ROUTES.has(s.labels.route ?? '');
  const counters: Counters = {
    source: {
      acquires: acquireName ?? 'HTTP acquire routes',
      wait: waitName ?? 'HTTP acquire duration',
    },
  };
  const requests = total(samples, (s) => s.name === requestsName);
  const acquires = acquireName
    ? total(samples, (s) => s.name === acquireName)
    : total(samples, (s) => s.name === 'leasehold_http_requests_total' && onAcquireRoute(s));
  const waitSeconds = waitName
    ? total(samples, (s) => s.name === `${waitName}_sum`)
    : total(samples, (s) => s.name === `${httpDuration}_sum` && onAcquireRoute(s));
  const waitCount = waitName
    ? total(samples, (s) => s.name === `${waitName}_count`)
    : total(samples, (s) => s.name === `${httpDuration}_count` && onAcquireRoute(s));
  if (requests !== undefined) counters.requests = requests;
  if (acquires !== undefined) counters.acquires = acquires;
  if (waitSeconds !== undefined) counters.waitSeconds = waitSeconds;
  if (waitCount !== undefined) counters.waitCount = waitCount;
  return counters;
}

/** Rates between two scrapes `seconds` apart; a series absent from either is undefined. */
export function ratesBetween(
  before: Counters,
  after: Counters,
  seconds: number,
): { requests?: number; acquires?: number; waitMs?: number } {
  const rate = (a?: number, b?: number) =>
    a === undefined || b === undefined || seconds <= 0 ? undefined : Math.max(0, b - a) / seconds;
  const out: { requests?: number; acquires?: number; waitMs?: number } = {};
  const requests = rate(before.requests, after.requests);
  const acquires = rate(before.acquires, after.acquires);
  if (requests !== undefined) out.requests = requests;
  if (acquires !== undefined) out.acquires = acquires;
  if (
    before.waitSeconds !== undefined &&
    after.waitSeconds !== undefined &&
    before.waitCount !== undefined &&
    after.waitCount !== undefined
  ) {
    const count = after.waitCount - before.waitCount;
    out.waitMs = count > 0 ? ((after.waitSeconds - before.waitSeconds) / count) * 1000 : 0;
  }
  return out;
}
