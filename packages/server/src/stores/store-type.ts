import type { Store } from '@leasehold/core';

/** Where stores put their files. */
export interface StoreContext {
  readonly dataDir: string;
  /** Tells the operator something about the store's backend (a setting that weakens a guarantee). */
  readonly warn?: (message: string) => void;
}

/** The part of a component a store reads: its name and its metadata (names lower-cased). */
export interface StoreComponent {
  readonly name: string;
  readonly metadata: ReadonlyMap<string, string>;
}

/** One store type, as its folder declares it: the Dapr type name, its metadata reader and its factory. */
export interface StoreType<Config> {
  /** The component's `spec.type`, such as `lock.redis`. */
  readonly type: string;
  /** Reads and checks the metadata without touching a backend; a bad field throws INVALID_ARGUMENT naming it. */
  parse(component: StoreComponent, context: StoreContext): Config;
  /** Opens the store from what `parse` returned. */
  open(name: string, config: Config, context: StoreContext): Promise<Store>;
}

/** A store type in the registry, its configuration type hidden so different types share one list. */
export interface RegisteredStoreType {
  readonly type: string;
  /** Checks the metadata, then opens the store; a bad field rejects, never throws. */
  create(component: StoreComponent, context: StoreContext): Promise<Store>;
}

/** Wraps a folder's `StoreType` for the registry. */
export function defineStoreType<Config>(store: StoreType<Config>): RegisteredStoreType {
  return {
    type: store.type,
    create: async (component, context) =>
      store.open(component.name, store.parse(component, context), context),
  };
}
