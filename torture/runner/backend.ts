/** One fault a backend offers the nemesis: applied by `inject`, undone by `heal`; each returns what it did. */
export interface Fault {
  readonly kind: string;
  inject(): Promise<string>;
  heal(): Promise<string>;
}

/** A running backend for the torture runner's Leasehold servers. */
export interface TortureBackend {
  readonly store: 'redis' | 'redlock' | 'etcd';
  /** The component (type + metadata) a Leasehold server uses to reach this backend. */
  component(): { type: string; metadata: Record<string, string> };
  /** The faults this backend offers (kill/restart, SIGSTOP 1 s, proxy cut...); [] in the plain version. */
  faults(): Fault[];
  stop(): Promise<void>;
}

/** Starts a backend of `kind` for one run. */
export type StartBackend = (
  kind: TortureBackend['store'],
  opts: { dir: string; cluster: boolean; seed: number },
) => Promise<TortureBackend>;
