import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { LeaseholdError } from '@leasehold/core';
import type { Logger } from 'pino';
import { ComponentError } from './components.js';
import { SERVER_USAGE, parseSettings } from './config.js';
import { createLogger, resolveLogFormat } from './logging.js';
import { startServer } from './server.js';
import type { RunningServer } from './server.js';

/** Runs the server as a process: flags and env in, SIGHUP to reload files, SIGTERM/SIGINT to stop. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let parsed;
  try {
    parsed = parseSettings(argv, env);
  } catch (error) {
    process.stderr.write(`leasehold: ${(error as Error).message}\n\n${SERVER_USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (parsed.help) {
    process.stdout.write(SERVER_USAGE);
    return;
  }
  const { logLevel, logFormat } = parsed.settings;
  const logger = createLogger(logLevel, logFormat);
  let server: RunningServer | undefined;
  // Listening for SIGHUP from the first moment also keeps an early one from killing the process.
  const hangup = () => {
    if (server) server.reload();
    else logger.info('SIGHUP while starting: the files being read now are the current ones');
  };
  process.on('SIGHUP', hangup);
  try {
    server = await startServer(parsed.settings, logger);
  } catch (error) {
    process.off('SIGHUP', hangup);
    reportFatal(error, logger, resolveLogFormat(logFormat, process.stdout));
    process.exitCode = 1;
    return;
  }
  const running = server;
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    process.off('SIGHUP', hangup);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/**
 * A start-up failure, for people: known errors (bad files, bad settings, a refused bind) as plain
 * text on stderr, so a YAML caret lines up; JSON logs also get one fatal entry for collectors.
 */
function reportFatal(error: unknown, logger: Logger, format: 'pretty' | 'json'): void {
  const known = error instanceof ComponentError || error instanceof LeaseholdError;
  const text = known
    ? (error as Error).message
    : error instanceof Error
      ? (error.stack ?? error.message)
      : String(error);
  process.stderr.write(`leasehold: cannot start: ${text}\n`);
  if (format === 'json')
    logger.fatal(known ? { reason: (error as Error).message } : { err: error }, 'leasehold failed to start');
}

/** True when this module is the process entry point (not merely imported, e.g. by the CLI). */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntryPoint()) await main(process.argv.slice(2));
