import type { ITxnRequest, ITxnResponse, IResponseOp } from 'etcd3';
import { Footprint, MAX_TXN_OPS, bytesOf, widthOf } from './txn-footprint.js';
/** Well under etcd's default --max-request-bytes (1.5 MiB); a larger transaction goes alone. */
const MAX_BATCH_BYTES = 512 * 1024;

/** Sends one transaction to etcd (the connection's client call, errors as they come). */
export type SendTxn = (request: ITxnRequest) => Promise<ITxnResponse>;

/** True for a failure after which the batch may or may not have been applied (a timeout, a lost host). */
export type IsTransient = (error: Error) => boolean;

/** Builds a member's transaction for its slot (its place in the batch: unique within the revision). */
export type BuildTxn = (slot: number) => ITxnRequest;

/** A member's answer: its own branch, the batch's header, its slot and the index of its first event. */
export interface BatchedResponse extends ITxnResponse {
  readonly slot: number;
  readonly firstEvent: number;
}

interface Member {
  readonly build: BuildTxn;
  request: ITxnRequest;
  readonly resolve: (response: BatchedResponse) => void;
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
    // Rebuilt for its slot; the keys (so the footprint and size) do not depend on it.
    if (this.members.length > 0) member.request = member.build(this.members.length);
    this.members.push(member);
    this.footprint.absorb(footprint);
    this.width = width;
    this.bytes = bytes;
    return true;
  }
}

/** How many events (changed keys) a transaction's executed branch produced. */
export function eventsOf(responses: readonly IResponseOp[]): number {
  let events = 0;
  for (const op of responses) {
    if (op.response_put) events++;
    else if (op.response_delete_range) events += Number(op.response_delete_range.deleted);
    else if (op.response_txn) events += eventsOf(op.response_txn.responses);
  }
  return events;
}

/**
 * Group commit for etcd: the write transactions that arrive while one is in flight are sent next as
 * one transaction whose success branch nests each of them, with its own compares, so a turn's writes
 * cost one Raft proposal. One batch is in flight at a time, so batches commit in arrival order, and a
 * transaction that conflicts with the open batch starts the next one (it commits after). Members of
 * one batch share a revision: each learns its slot and where its events start within the revision.
 */
export class TxnBatcher {
  private readonly open: Batch[] = [];
  private sending = false;
  private scheduled = false;

  constructor(
    private readonly send: SendTxn,
    private readonly isTransient: IsTransient,
  ) {}

  /** Commits the transaction `build` makes for its slot with the others of its batch. */
  submit(build: BuildTxn): Promise<BatchedResponse> {
    return new Promise((resolve, reject) => {
      const member: Member = { build, request: build(0), resolve, reject };
      const footprint = Footprint.of(member.request);
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
    if (members.length === 1) return this.commitAlone(members[0]!, 0);
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
      for (const [slot, member] of members.entries()) await this.commitAlone(member, slot);
      return;
    }
    answer(members, response);
  }

  private async commitAlone(member: Member, slot: number): Promise<void> {
    try {
      const response = await this.send(member.request);
      member.resolve({ ...response, slot, firstEvent: 0 });
    } catch (error) {
      member.reject(error);
    }
  }
}

/** Hands each member its nested answer; etcd applied them in order, so events follow members. */
function answer(members: Member[], response: ITxnResponse): void {
  let firstEvent = 0;
  members.forEach((member, slot) => {
    const nested = response.responses[slot]?.response_txn;
    if (!nested) {
      member.reject(new Error('etcd answered a batch without a nested transaction response'));
      return;
    }
    const { succeeded, responses } = nested;
    member.resolve({ header: response.header, succeeded, responses, slot, firstEvent });
    firstEvent += eventsOf(responses);
  });
}
