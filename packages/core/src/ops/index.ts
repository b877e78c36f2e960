/**
 * `@leasehold/core/ops`: the op table's data (names, HTTP method and path, where arguments
 * travel, idempotency). Light on purpose: the SDK imports it without the engine or the services
 * (lint rule `ops-data-light`). The handlers are exported from `@leasehold/core`.
 */
export type * from './op-spec.js';
export * from './op-table.js';
export * from './op-routes.js';
