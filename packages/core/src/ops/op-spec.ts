/** How an op travels over HTTP and whether it may be sent twice: the data both ends derive from. */

/** The HTTP methods of the native API. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Where an op's arguments travel over HTTP: the JSON body, the query string, or the path alone
 * (every argument named by a `:param` segment; nothing else is read).
 */
export type ArgPlacement = 'body' | 'query' | 'path';

/** One op of the table: plain data, safe for the SDK to import. */
export interface OpSpec {
  readonly method: HttpMethod;
  /** The full path; `:store` is the store's name and any other `:name` the argument of that name. */
  readonly path: string;
  readonly args: ArgPlacement;
  /** The argument names a caller may pass (the service checks their values). */
  readonly fields: readonly string[];
  /**
   * The op's former name (before ops were named `<primitive>.<verb>`): still accepted on the client
   * stream, so an older SDK keeps working, and still its `op` label on metrics, so dashboards do.
   */
  readonly alias?: string;
  /** Safe to send again after a connection failure: repeating it changes nothing further. */
  readonly idempotent: boolean;
  /** The HTTP reply carries the result under this field (`{locks: [...]}`); other transports do not. */
  readonly wrap?: string;
  /**
   * When several ops share a method and path, this one answers a request that carries any of
   * these query arguments; the op without `selectBy` answers the rest.
   */
  readonly selectBy?: readonly string[];
  /** Query arguments the SDK always sends, an absent one as this value. */
  readonly defaults?: Readonly<Record<string, string>>;
  /** Takes a body up to the KV limit (1 MiB) rather than the lock routes' 64 KiB. */
  readonly largeBody?: true;
  /** May wait (`waitMs`): gets an AbortSignal that fires when its caller goes away. */
  readonly waits?: true;
}
