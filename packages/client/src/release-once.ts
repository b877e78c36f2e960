/** A handle's release, sent once: a repeat gets the same answer, and a failed one may be tried again. */
export class ReleaseOnce<T = string> {
  private pending: Promise<T> | undefined;

  /** The answer of the release `send` makes, sent only if none is done or in flight. */
  run(send: () => Promise<T>): Promise<T> {
    this.pending ??= send().catch((error: unknown) => {
      this.pending = undefined; // let a later release try again
      throw error;
    });
    return this.pending;
  }
}
