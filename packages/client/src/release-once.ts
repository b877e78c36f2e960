/** A handle's release, sent once: a repeat gets the same answer, and a failed one may be tried again. */
export class ReleaseOnce {
  private pending: Promise<string> | undefined;

  /** The status of the release `send` makes, sent only if none is done or in flight. */
  run(send: () => Promise<{ status: string }>): Promise<string> {
    this.pending ??= send().then(
      (reply) => reply.status,
      (error: unknown) => {
        this.pending = undefined; // let a later release try again
        throw error;
      },
    );
    return this.pending;
  }
}
