import type { ITxnRequest, ITxnResponse } from 'etcd3';
import { Footprint, bytesOf, widthOf } from './txn-footprint.js';

/** etcd's default --max-txn-ops: a batch's outer list plus its widest member's count. */
const MAX_TXN_OPS = 128;
/** Well under etcd's default --max-request-bytes (1.5 MiB); a larger transaction goes alone. */
const MAX_BATCH_BYTES = 512 * 1024;

/** Sends one transaction to etcd (the connection's client call, errors as they come). */
export type SendTxn = (request: ITxnRequest) => Promise<ITxnResponse>;

/** True for a failure after which the batch may or may not have been applied (a timeout, a lost host). */
export type IsTransient = (error: Error) => boolean;

interface Member {
  readonly request: ITxnRequest;
  readonly resolve: (response: ITxnResponse) => void;
  readonly reject: (error: unknown) => void;
}

/** Transactions that commute, committed as one etcd transaction. */
class Batch {
  readonly members: Member[] = [];
  private readonly footprint = new Footprint();
  private width = 0;
  private bytes = 0;

  /** Takes `member` unless it touches a key another member writes (or writes one it reads), or is too big. */
  tryAdd(member: Member, footprint: Footprint): boolean {
    const width = Math.max(this.width, widthOf(member.request));
    const bytes = this.bytes + bytesOf(member.request);
    if (this.members.length > 0) {
      if (this.members.length + 1 + width > MAX_TXN_OPS || bytes > MAX_BATCH_BYTES) return false;
      if (this.footprint.conflicts(footprint)) return false;
    }
    this.members.push(member);
    this.footprint.absorb(footprint);
    this.width = width;
    this.bytes = bytes;
    return true;
  }
}

/**
 * Group commit for etcd: the write transactions that arrive while one is in flight are sent next as
 * one transaction whose success branch nests each of them, with its own compares, so a turn's writes
 * cost one Raft proposal. One batch is in flight at a time, so batches commit in arrival order, and a
 * transaction that conflicts with the open batch starts the next one (it commits after).
 */
export class TxnBatcher {
  private readonly open: Batch[] = [];
  private sending = false;
  private scheduled = false;

  constructor(
    private readonly send: SendTxn,
    private readonly isTransient: IsTransient,
  ) {}

  /** Commits `request` with the others of its batch; answers with its own branch and the batch's header. */
  submit(request: ITxnRequest): Promise<ITxnResponse> {
    return new Promise((resolve, reject) => {
      const member = { request, resolve, reject };
      const footprint = Footprint.of(request);
      const last = this.open.at(-1);
      if (!last?.tryAdd(member, footprint)) {
        const batch = new Batch();
        batch.tryAdd(member, footprint);
        this.open.push(batch);
      }
      this.schedule();
    });
  }

  /** After this turn's I/O, so the requests that came in with it join the batch. */
  private schedule(): void {
    if (this.sending || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.open.shift();
    if (!batch) return;
    this.sending = true;
    try {
      await this.commit(batch.members);
    } finally {
      this.sending = false;
      if (this.open.length > 0) this.schedule();
    }
  }

  private async commit(members: Member[]): Promise<void> {
    if (members.length === 1) return this.commitAlone(members[0]!);
    let response: ITxnResponse;
    try {
      response = await this.send({
        compare: [],
        success: members.map((member) => ({ request_txn: member.request })),
        failure: [],
      });
    } catch (error) {
      // A batch that may have been applied is not sent again (the client already retried it).
      if (error instanceof Error && this.isTransient(error)) {
        for (const member of members) member.reject(error);
        return;
      }
      // Refused outright, so nothing was applied: a limit of this etcd's that the batch broke (fewer
      // ops, smaller requests) must not fail its members, so each goes alone and meets its own answer.
      for (const member of members) await this.commitAlone(member);
      return;
    }
    members.forEach((member, i) => {
      const nested = response.responses[i]?.response_txn;
      if (!nested) member.reject(new Error('etcd answered a batch without a nested transaction response'));
      else
        member.resolve({ header: response.header, succeeded: nested.succeeded, responses: nested.responses });
    });
  }

  private async commitAlone(member: Member): Promise<void> {
    try {
      member.resolve(await this.send(member.request));
    } catch (error) {
      member.reject(error);
    }
  }
}
