import { storeError } from '@leasehold/core';
import { ConsecutiveBreaker, circuitBreaker, handleWhen, retry } from 'cockatiel';
import { Etcd3, GRPCCancelledError, isRecoverableError } from 'etcd3';
import type { ICompare, IKeyValue, IRangeRequest, IRangeResponse, IRequestOp, ITxnResponse } from 'etcd3';
import type { EtcdConfig } from './etcd-metadata.js';
import { TxnBatcher } from './txn-batcher.js';
import type { BatchedResponse, BuildTxn } from './txn-batcher.js';
import { isReadOnly } from './txn-footprint.js';

/** etcd's compare targets and results, by number (the client's enums are CommonJS values). */
const Target = { version: 0, create: 1, mod: 2, value: 3, lease: 4 } as const;
const Result = { '=': 0, '>': 1, '<': 2, '!=': 3 } as const;
type Op = keyof typeof Result;

/** Compare clauses of a transaction. */
export const compare = {
  /** The key's create revision (0 when absent). */
  created(key: Buffer, op: Op, revision: number | string, rangeEnd?: Buffer): ICompare {
    return {
      key,
      target: Target.create,
      result: Result[op],
      create_revision: revision,
      ...(rangeEnd ? { range_end: rangeEnd } : {}),
    };
  },
  /** The key's version (0 when absent). */
  version(key: Buffer, op: Op, version: number): ICompare {
    return { key, target: Target.version, result: Result[op], version };
  },
  /** The key's mod revision (0 when absent). */
  modified(key: Buffer, op: Op, revision: number | string): ICompare {
    return { key, target: Target.mod, result: Result[op], mod_revision: revision };
  },
  /** The key's value, compared byte by byte. */
  value(key: Buffer, op: Op, value: Buffer): ICompare {
    return { key, target: Target.value, result: Result[op], value };
  },
  /** The lease the key is attached to (0 when absent or unattached). */
  lease(key: Buffer, op: Op, leaseId: string): ICompare {
    return { key, target: Target.lease, result: Result[op], lease: leaseId };
  },
};

/** Request clauses of a transaction. */
export const request = {
  get(key: Buffer, extra: Omit<IRangeRequest, 'key'> = {}): IRequestOp {
    return { request_range: { key, ...extra } };
  },
  count(key: Buffer, rangeEnd: Buffer): IRequestOp {
    return { request_range: { key, range_end: rangeEnd, count_only: true } };
  },
  put(key: Buffer, value: string, leaseId?: string, prevKv = false): IRequestOp {
    return {
      request_put: {
        key,
        value: Buffer.from(value),
        ...(leaseId ? { lease: leaseId } : {}),
        prev_kv: prevKv,
      },
    };
  },
  delete(key: Buffer): IRequestOp {
    return { request_delete_range: { key } };
  },
};

/** The first key of a range response inside a transaction response. */
export function rangeAt(response: ITxnResponse, index: number): IKeyValue | undefined {
  return response.responses[index]?.response_range.kvs[0];
}

/** The count of a count-only range inside a transaction response. */
export function countAt(response: ITxnResponse, index: number): number {
  return Number(response.responses[index]?.response_range.count ?? 0);
}

/** True for transient failures worth a retry or a strike against a host; a call we cancelled is neither. */
function isTransient(error: Error): boolean {
  return isRecoverableError(error) && !(error instanceof GRPCCancelledError);
}

/**
 * The client's default fault handling counts a call cancelled on purpose (a keep-alive stream closed
 * after its answer, a wait that ended) as a host failure: three in a row opened every host's circuit
 * for 5 s and failed the whole store under load. Cancellations are not failures here, and a broken
 * host is tried again after one second.
 */
function faultHandling() {
  return {
    host: () =>
      circuitBreaker(handleWhen(isTransient), { halfOpenAfter: 1_000, breaker: new ConsecutiveBreaker(3) }),
    global: retry(handleWhen(isTransient), { maxAttempts: 3 }),
  };
}

/**
 * The one etcd client of a store. Every unary call carries a deadline of `timeoutMs` so an
 * unreachable cluster fails instead of hanging; streams carry none (they live as long as the store).
 */
export class EtcdConnection {
  readonly client: Etcd3;
  private readonly batcher: TxnBatcher;

  constructor(readonly config: EtcdConfig) {
    const { tls, auth } = config;
    this.client = new Etcd3({
      hosts: [...config.hosts],
      dialTimeout: config.timeoutMs,
      faultHandling: faultHandling(),
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + config.timeoutMs }),
      ...(auth ? { auth: { username: auth.username, password: auth.password } } : {}),
      ...(tls
        ? {
            credentials: {
              rootCertificate: tls.ca,
              ...(tls.cert && tls.key ? { certChain: tls.cert, privateKey: tls.key } : {}),
            },
          }
        : {}),
    });
    this.batcher = new TxnBatcher((txn) => this.client.kv.txn(txn), isTransient);
  }

  /**
   * Runs one transaction; driver errors become STORE_ERROR naming `op`. A transaction that writes is
   * committed together with the others of its turn (group commit, txn-batcher.ts); reads go alone.
   */
  txn(
    op: string,
    compares: ICompare[],
    success: IRequestOp[],
    failure: IRequestOp[] = [],
  ): Promise<ITxnResponse> {
    const txn = { compare: compares, success, failure };
    return this.call(op, () => (isReadOnly(txn) ? this.client.kv.txn(txn) : this.batcher.submit(() => txn)));
  }

  /** Runs a transaction built for its slot in a batch (a grant: its token is revision and slot). */
  slotted(op: string, build: BuildTxn): Promise<BatchedResponse> {
    return this.call(op, () => this.batcher.submit(build));
  }

  /** Runs a write in a revision of its own, so each of its changes has a known place in it. */
  alone(op: string, compares: ICompare[], success: IRequestOp[], failure: IRequestOp[] = []) {
    return this.call(op, () => this.client.kv.txn({ compare: compares, success, failure }));
  }

  private async call<T>(op: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw storeError(op, error);
    }
  }

  /** Runs one range read. */
  async range(op: string, req: IRangeRequest): Promise<IRangeResponse> {
    try {
      return await this.client.kv.range(req);
    } catch (error) {
      throw storeError(op, error);
    }
  }

  /**
   * Resolves when the cluster answers; else rejects naming the endpoints and the cause
   * (`cannot reach 127.0.0.1:2379: ECONNREFUSED`).
   */
  async reachable(): Promise<void> {
    try {
      await this.client.maintenance.status();
    } catch (error) {
      throw new Error(`cannot reach ${this.config.hosts.join(',')}: ${causeOf(error)}`, { cause: error });
    }
  }

  /** Closes every channel. */
  close(): void {
    this.client.close();
  }
}

/** A gRPC failure's short cause: the system code in its text (ECONNREFUSED) when there is one. */
function causeOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /\b(E[A-Z]{3,}[A-Z_]*)\b/.exec(message)?.[1] ?? message;
}
