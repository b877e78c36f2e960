/**
 * Output a doc shows and output a command printed, made comparable: ids, fencing tokens, revisions,
 * times and durations differ from run to run (and a doc abbreviates ids as `9f2c…`), so both sides
 * mask them the same way before they are compared.
 */

/** JSON fields whose values change between runs. */
const MASKED_KEYS = new Set([
  'id',
  'leaseId',
  'fencingToken',
  'token',
  'revision',
  'remainingMs',
  'expiresInMs',
  'acquiredAt',
  'time',
  'createdAt',
]);

/** The same idea for plain text, in order. */
const TEXT_MASKS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\b/g, '<time>'],
  [/\b[0-9a-f]{32}\b|\b[0-9a-f]{2,}(…|\.\.\.)/g, '<id>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<id>'],
  [/\btoken(:?\s+)\d+/g, 'token$1<n>'],
  [/"fencingToken":\d+/g, '"fencingToken":<n>'],
  [/#\d+\b/g, '#<n>'],
  [/\b\d+(\.\d+)?(ms|s|m|h)\b/g, '<duration>'],
];

/** One line, masked; a JSON line is compared as JSON (and may carry a remark after two spaces). */
export function maskLine(line: string): string {
  const json = parseJsonLine(line.trim());
  if (json !== undefined) return JSON.stringify(maskJson(json));
  return maskText(line.trimEnd());
}

function maskText(text: string): string {
  let masked = text;
  for (const [pattern, replacement] of TEXT_MASKS) masked = masked.replace(pattern, replacement);
  return masked;
}

/** Lines as printed, without npm's own warnings and trailing blank lines, masked. */
export function maskOutput(text: string): string[] {
  const lines = text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => !line.startsWith('npm warn '));
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines.map(maskLine);
}

function parseJsonLine(line: string): unknown {
  if (!line.startsWith('{') && !line.startsWith('[')) return undefined;
  // `{"status":0}     0 SUCCESS, …`: JSON, then a remark after two or more spaces.
  for (const candidate of [line, line.split(/\s{2,}/)[0]!]) {
    try {
      return JSON.parse(candidate);
    } catch {
      // not JSON as a whole; try without the remark
    }
  }
  return undefined;
}

function maskJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskJson);
  if (typeof value === 'string') return maskText(value);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, inner]) => [key, MASKED_KEYS.has(key) ? `<${key}>` : maskJson(inner)]);
  return Object.fromEntries(entries);
}
