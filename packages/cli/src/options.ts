import { readFileSync } from 'node:fs';
import { LeaseholdClient } from '@leasehold/client';
import { usageError } from './exit-codes.js';
import type { Io } from './output.js';

/** One flag of a command, as commander spells it (`--ttl <duration>`, `--json`). */
export interface FlagSpec {
  readonly flags: string;
  readonly description: string;
}

/** Flags every command accepts, anywhere on the line. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  {
    flags: '--url <url>',
    description: 'server (LEASEHOLD_URL, default http://127.0.0.1:3500); https:// for TLS',
  },
  {
    flags: '--ca <file>',
    description: "PEM CA that signed an https:// server's certificate (LEASEHOLD_CA_FILE)",
  },
  { flags: '--store <name>', description: 'lock store (LEASEHOLD_STORE, default lockstore)' },
  { flags: '--token <token>', description: 'API token (LEASEHOLD_API_TOKEN)' },
  { flags: '--transport <kind>', description: 'http (default) or stream (LEASEHOLD_TRANSPORT)' },
  { flags: '--json', description: 'machine-readable output' },
];

/** Parsed flags (by long name, without `--`) and arguments of one command line. */
export interface Parsed {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: readonly string[];
  /** What follows `--`, for commands that run one (`lock`); empty otherwise. */
  readonly command: readonly string[];
}

/** One `leasehold` subcommand: its line in the usage, its flags, and what it does. */
export interface CommandSpec {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** What follows `leasehold NAME` on the usage line. */
  readonly usage: string;
  /** One line for the command list and the top of its help. */
  readonly summary: string;
  /** Prose printed after the flags by `--help`. */
  readonly details?: string;
  readonly flags?: readonly FlagSpec[];
  /** Everything after `--` is a command to run, not arguments. */
  readonly runsCommand?: boolean;
  /** The command parses its own flags: it gets every word after its name in `command`. */
  readonly rawArgs?: boolean;
  run(parsed: Parsed, io: Io): Promise<number>;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `30s`, `1m`, `2h`, `1d` or `1m30s`; a bare number means seconds. */
export function parseDuration(flag: string, text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1_000);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
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
