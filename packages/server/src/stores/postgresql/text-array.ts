/**
 * A Postgres array literal of `values`, for a parameter cast `::text[]` in SQL. The store turns off
 * the driver's array-type discovery (see pg-connection.ts), so arrays travel as literals: each
 * element quoted, with `\` and `"` escaped.
 */
export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
