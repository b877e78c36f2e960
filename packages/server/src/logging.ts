import { pino } from 'pino';
import type { Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

/** How logs are written: `auto` is `pretty` on a terminal and `json` otherwise. */
export type LogFormat = 'auto' | 'pretty' | 'json';

/** The accepted `--log-format` values. */
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'pretty', 'json'];

/** The format `auto` resolves to for `out`. */
export function resolveLogFormat(format: LogFormat, out: { isTTY?: boolean }): 'pretty' | 'json' {
  if (format !== 'auto') return format;
  return out.isTTY === true ? 'pretty' : 'json';
}

/**
 * The process logger: pino JSON lines for machines, or one readable line per entry (local time,
 * level name, message, then the fields) for people. Pretty output is written synchronously so a
 * fatal line is not lost when the process exits.
 */
export function createLogger(
  level: string,
  format: LogFormat,
  out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
): Logger {
  if (resolveLogFormat(format, out) === 'json') return pino({ level }, out);
  const pretty = PinoPretty({
    colorize: out.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,banner',
    singleLine: true,
    sync: true,
    destination: out,
  });
  return pino({ level }, pretty);
}
