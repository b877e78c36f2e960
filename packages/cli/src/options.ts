import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LeaseholdClient } from '@leasehold/client';
import { usageError } from './exit-codes.js';

type OptionSpec = { type: 'string' | 'boolean'; short?: string };

/** Flags every command accepts. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: { type: 'string' },
  store: { type: 'string' },
  token: { type: 'string' },
  ca: { type: 'string' },
  transport: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** Parsed flags and positionals of one command. */
export interface Parsed {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/** Parses a command's arguments with the global flags; unknown flags are usage errors naming them. */
export function parseCommand(args: readonly string[], options: Record<string, OptionSpec> = {}): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { ...GLOBAL_OPTIONS, ...options },
      strict: true,
      allowPositionals: true,
    });
    return { values: values, positionals };
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `1m`, `2h` or `1m30s`; a bare number means seconds. */
export function parseDuration(flag: string, text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1_000);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw usageError(`--${flag}: expected a duration like 500ms, 30s, 1m or 2h, got "${text}"`);
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0));
}

/** A non-negative integer argument, or a usage error naming it. */
export function parseInteger(name: string, text: string | undefined): number {
  if (text === undefined || !/^-?\d+$/.test(text))
    throw usageError(`${name}: expected an integer, got "${text ?? ''}"`);
  return Number(text);
}

/** The string value of a flag. */
export function stringFlag(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A client for the global flags, falling back to LEASEHOLD_* environment variables. */
export function clientFrom(parsed: Parsed, env: NodeJS.ProcessEnv): LeaseholdClient {
  const transport = stringFlag(parsed, 'transport') ?? env.LEASEHOLD_TRANSPORT ?? 'http';
  if (transport !== 'http' && transport !== 'stream') {
    throw usageError(`--transport: expected "http" or "stream", got "${transport}"`);
  }
  const url = stringFlag(parsed, 'url') ?? env.LEASEHOLD_URL ?? 'http://127.0.0.1:3500';
  if (!/^https?:\/\//.test(url))
    throw usageError(`--url: expected http://host:port or https://host:port, got "${url}"`);
  const caFile = stringFlag(parsed, 'ca') ?? (env.LEASEHOLD_CA_FILE || undefined);
  if (caFile !== undefined && !url.startsWith('https://'))
    throw usageError(`--ca: needs an https:// --url, got "${url}"`);
  return new LeaseholdClient({
    url,
    ...(caFile === undefined ? {} : { ca: readCa(caFile) }),
    store: stringFlag(parsed, 'store') ?? env.LEASEHOLD_STORE ?? 'lockstore',
    token: stringFlag(parsed, 'token') ?? env.LEASEHOLD_API_TOKEN,
    transport,
  });
}

/** The PEM bundle of `--ca`, or a usage error naming the file. */
function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw usageError(`--ca ${path}: cannot read: ${(error as Error).message}`);
  }
}
