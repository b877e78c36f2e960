import { parseArgs } from 'node:util';
import { LeaseholdError, parseQuotas } from '@leasehold/core';
import type { Quotas } from '@leasehold/core';
import { tokenFromEnv } from './auth.js';
import { LOG_FORMATS } from './logging.js';
import type { LogFormat } from './logging.js';

/** Every server setting; each has a flag and an environment variable. */
export interface ServerSettings {
  readonly host: string;
  readonly port: number;
  readonly grpcPort: number;
  readonly dataDir: string;
  readonly componentsPath: string;
  readonly appId: string;
  readonly apiToken: string | undefined;
  readonly apiTokenFile: string | undefined;
  /** PEM certificate chain; with `tlsKey`, HTTP and gRPC serve TLS. */
  readonly tlsCert: string | undefined;
  /** PEM private key of `tlsCert`. */
  readonly tlsKey: string | undefined;
  /** PEM CA bundle; when given, clients must present a certificate it signed (mutual TLS). */
  readonly tlsCa: string | undefined;
  /** Allows binding a non-loopback address without TLS or without tokens (clear text on the network). */
  readonly insecure: boolean;
  /** The smallest lease TTL accepted; lowered only for tests. */
  readonly minTtlMs: number;
  /** Server-wide per-app quota defaults (`--quotas leases=1000,locks=1000`). */
  readonly quotas: Partial<Quotas>;
  readonly logLevel: string;
  /** `pretty` for people, `json` for machines; `auto` is pretty on a terminal. */
  readonly logFormat: LogFormat;
}

/** Defaults, as documented in the README. */
export const DEFAULT_SETTINGS: ServerSettings = {
  host: '127.0.0.1',
  port: 3500,
  grpcPort: 50001,
  dataDir: './data',
  componentsPath: './components',
  appId: 'leasehold',
  apiToken: undefined,
  apiTokenFile: undefined,
  tlsCert: undefined,
  tlsKey: undefined,
  tlsCa: undefined,
  insecure: false,
  minTtlMs: 1_000,
  quotas: {},
  logLevel: 'info',
  logFormat: 'auto',
};

const OPTIONS = {
  host: { type: 'string', env: 'LEASEHOLD_HOST' },
  port: { type: 'string', env: 'LEASEHOLD_PORT' },
  'grpc-port': { type: 'string', env: 'LEASEHOLD_GRPC_PORT' },
  'data-dir': { type: 'string', env: 'LEASEHOLD_DATA_DIR' },
  'components-path': { type: 'string', env: 'LEASEHOLD_COMPONENTS_PATH' },
  'app-id': { type: 'string', env: 'LEASEHOLD_APP_ID' },
  'api-token-file': { type: 'string', env: 'LEASEHOLD_API_TOKEN_FILE' },
  'tls-cert': { type: 'string', env: 'LEASEHOLD_TLS_CERT' },
  'tls-key': { type: 'string', env: 'LEASEHOLD_TLS_KEY' },
  'tls-ca': { type: 'string', env: 'LEASEHOLD_TLS_CA' },
  'min-ttl-ms': { type: 'string', env: 'LEASEHOLD_MIN_TTL_MS' },
  quotas: { type: 'string', env: 'LEASEHOLD_QUOTAS' },
  'log-level': { type: 'string', env: 'LEASEHOLD_LOG_LEVEL' },
  'log-format': { type: 'string', env: 'LEASEHOLD_LOG_FORMAT' },
  insecure: { type: 'boolean', env: 'LEASEHOLD_INSECURE' },
  help: { type: 'boolean', env: '' },
} as const;

/** The `--help` text of the server. */
export const SERVER_USAGE = `Usage: leasehold serve [options]   (or: npm start -- [options])

  --host HOST               LEASEHOLD_HOST             address to bind (127.0.0.1)
  --port N                  LEASEHOLD_PORT             HTTP port: Dapr + native API (3500)
  --grpc-port N             LEASEHOLD_GRPC_PORT        Dapr gRPC port (50001)
  --data-dir DIR            LEASEHOLD_DATA_DIR         embedded store folder (./data)
  --components-path DIR     LEASEHOLD_COMPONENTS_PATH  Dapr component YAML folder (./components)
  --app-id ID               LEASEHOLD_APP_ID           app id for callers without a token (leasehold)
  --api-token-file FILE     LEASEHOLD_API_TOKEN_FILE   YAML list of {token, appId, role}
                            LEASEHOLD_API_TOKEN        one token for the default app id
                            DAPR_API_TOKEN             read when LEASEHOLD_API_TOKEN is unset
  --tls-cert FILE           LEASEHOLD_TLS_CERT         PEM certificate chain: serve HTTPS and gRPC over TLS
  --tls-key FILE            LEASEHOLD_TLS_KEY          PEM private key of --tls-cert
  --tls-ca FILE             LEASEHOLD_TLS_CA           PEM CA: clients must present a cert it signed (mTLS)
  --min-ttl-ms N            LEASEHOLD_MIN_TTL_MS       smallest lease TTL accepted (1000)
  --quotas LIST             LEASEHOLD_QUOTAS           per-app quota defaults, e.g. leases=1000,keyBytes=1048576
                                                       (leases, locks, keys, keyBytes, counters, watchers, waiters)
  --log-level LEVEL         LEASEHOLD_LOG_LEVEL        pino level (info)
  --log-format FORMAT       LEASEHOLD_LOG_FORMAT       pretty, json or auto: pretty on a terminal, else JSON (auto)
  --insecure                LEASEHOLD_INSECURE=1       allow a non-loopback host without TLS or tokens

  SIGHUP reloads the token file and the TLS files; a broken file keeps the old one.
`;

/** Reads settings from flags, then env, then defaults; bad values name the flag. */
export function parseSettings(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): { settings: ServerSettings; help: boolean } {
  const parseOptions = Object.fromEntries(
    Object.entries(OPTIONS).map(([name, o]) => [name, { type: o.type }]),
  );
  const { values } = parseArgs({
    args: [...argv],
    options: parseOptions,
    strict: true,
    allowPositionals: false,
  });
  const pick = (name: keyof typeof OPTIONS): string | boolean | undefined => {
    const flag = values[name];
    if (flag !== undefined) return flag;
    const envName = OPTIONS[name].env;
    return envName ? env[envName] : undefined;
  };
  const text = (name: keyof typeof OPTIONS, fallback: string): string => {
    const value = pick(name);
    return typeof value === 'string' && value !== '' ? value : fallback;
  };
  const int = (name: keyof typeof OPTIONS, fallback: number, min: number, max: number): number => {
    const raw = pick(name);
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new LeaseholdError(
        'INVALID_ARGUMENT',
        `--${name}: must be an integer from ${min} to ${max}, got "${String(raw)}"`,
      );
    }
    return value;
  };
  const insecure = pick('insecure');
  const settings: ServerSettings = {
    host: text('host', DEFAULT_SETTINGS.host),
    port: int('port', DEFAULT_SETTINGS.port, 0, 65_535),
    grpcPort: int('grpc-port', DEFAULT_SETTINGS.grpcPort, 0, 65_535),
    dataDir: text('data-dir', DEFAULT_SETTINGS.dataDir),
    componentsPath: text('components-path', DEFAULT_SETTINGS.componentsPath),
    appId: text('app-id', DEFAULT_SETTINGS.appId),
    apiToken: tokenFromEnv(env),
    apiTokenFile: text('api-token-file', '') || undefined,
    tlsCert: text('tls-cert', '') || undefined,
    tlsKey: text('tls-key', '') || undefined,
    tlsCa: text('tls-ca', '') || undefined,
    insecure: insecure === true || insecure === '1' || insecure === 'true',
    minTtlMs: int('min-ttl-ms', DEFAULT_SETTINGS.minTtlMs, 1, 31_536_000_000),
    quotas: quotaList(text('quotas', '')),
    logLevel: text('log-level', DEFAULT_SETTINGS.logLevel),
    logFormat: logFormat(text('log-format', DEFAULT_SETTINGS.logFormat)),
  };
  return { settings, help: pick('help') === true };
}

/** Checks `--log-format`; a bad value names the flag and the choices. */
function logFormat(value: string): LogFormat {
  const format = LOG_FORMATS.find((f) => f === value);
  if (format) return format;
  throw new LeaseholdError(
    'INVALID_ARGUMENT',
    `--log-format: must be one of ${LOG_FORMATS.join(', ')}, got "${value}"`,
  );
}

/** True for loopback addresses, where a server may run without tokens. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Reads `--quotas leases=1000,locks=500` into quota overrides; a bad entry names the flag. */
function quotaList(text: string): Partial<Quotas> {
  if (text === '') return {};
  const pairs = text.split(',').map((part) => {
    const [name = '', value, ...rest] = part.split('=');
    if (value === undefined || rest.length > 0) {
      throw new LeaseholdError('INVALID_ARGUMENT', `--quotas: expected name=value, got "${part}"`);
    }
    return [name.trim(), value.trim()] as const;
  });
  try {
    return parseQuotas(Object.fromEntries(pairs), '--quotas');
  } catch (error) {
    throw new LeaseholdError('INVALID_ARGUMENT', (error as Error).message);
  }
}
