/** Who the console talks as: the token typed in, sent as Dapr's header on every request. */
export class Api {
  constructor(private readonly token: () => string) {}

  /** Headers carrying the token, when there is one. */
  headers(): Record<string, string> {
    const token = this.token();
    return token === '' ? {} : { 'dapr-api-token': token };
  }

  /** GETs JSON; a refusal becomes an ApiError with the server's code and message. */
  get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }

  /** POSTs a JSON body. */
  post<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', path, body);
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(path, {
      method,
      headers: { ...this.headers(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw ApiError.from(response.status, text);
    return JSON.parse(text) as T;
  }
}

/** A refused request: its status, and the server's error code and message when it sent JSON. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }

  static from(status: number, text: string): ApiError {
    try {
      const body = JSON.parse(text) as { errorCode?: string; message?: string };
      return new ApiError(status, body.errorCode, body.message ?? text);
    } catch {
      return new ApiError(status, undefined, text.trim() || `HTTP ${status}`);
    }
  }
}

/** A store as `GET /v1/stores` lists it. */
export interface StoreSummary {
  name: string;
  type: string;
  capabilities: string[];
}

/** A queued acquire, as the overview shows it. */
export interface QueueEntry {
  position: number;
  leaseId?: string;
  app?: string;
  owner?: string;
  since?: number;
}

/** A held lock, as the overview shows it. */
export interface LockRow {
  name: string;
  app?: string;
  space?: string;
  leaseId?: string;
  owner?: string;
  fencingToken?: number;
  acquiredAt?: number;
  expiresInMs?: number;
  waiters: number;
  queue?: QueueEntry[];
}

/** A live lease, as the overview shows it. */
export interface LeaseRow {
  id: string;
  app?: string;
  owner?: string;
  ttlMs: number;
  remainingMs: number;
  locks: string[];
  keys: string[];
}

/** Where a semaphore or read/write lock lives; `space` and `app` in admin views only. */
export interface PoolPlace {
  name: string;
  space?: string;
  app?: string;
}

/** One holder of a semaphore or read/write lock; another app's shows its owner at most. */
export interface PoolHolder {
  leaseId?: string;
  app?: string;
  owner?: string;
  fencingToken: number;
  acquiredAt: number;
}

/** A semaphore, as the overview shows it. */
export interface SemaphoreRow extends PoolPlace {
  limit: number;
  used: number;
  holders: (PoolHolder & { permits: number })[];
  waiters: number;
}

/** A read/write lock held or awaited, as the overview shows it. */
export interface RwLockRow extends PoolPlace {
  mode: 'read' | 'write' | null;
  holders: (PoolHolder & { mode: 'read' | 'write' })[];
  waiters: number;
}

/** `GET /v1/{store}/overview`. */
export interface Overview {
  store: string;
  caller: { appId: string; role: 'app' | 'admin' };
  capabilities: string[];
  locks: LockRow[];
  leases?: LeaseRow[];
  /** Absent where the store has no semaphores (or read/write locks). */
  semaphores?: SemaphoreRow[];
  rwlocks?: RwLockRow[];
}
