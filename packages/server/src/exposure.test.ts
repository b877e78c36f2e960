import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { checkExposure } from './exposure.js';

function logged(run: (logger: pino.Logger) => void): string[] {
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  run(logger);
  return lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
}

describe('checkExposure', () => {
  const remote = { host: '0.0.0.0', insecure: false, tokens: true, tls: true };

  it('lets a non-loopback address serve with TLS and tokens, quietly', () => {
    expect(logged((log) => checkExposure(remote, log))).toEqual([]);
  });

  it('refuses a non-loopback address without TLS, even with tokens', () => {
    expect(() => logged((log) => checkExposure({ ...remote, tls: false }, log))).toThrow(
      '--host: refusing to listen on 0.0.0.0 without TLS; set --tls-cert and --tls-key, or pass --insecure',
    );
  });

  it('refuses a non-loopback address without tokens, even with TLS', () => {
    expect(() => logged((log) => checkExposure({ ...remote, tokens: false }, log))).toThrow(
      /without API tokens; set LEASEHOLD_API_TOKEN or --api-token-file, or pass --insecure/,
    );
  });

  it('with --insecure and no TLS, says tokens and data cross the network in clear text', () => {
    const lines = logged((log) => checkExposure({ ...remote, tls: false, insecure: true }, log));
    expect(lines).toEqual([expect.stringMatching(/tokens and data cross the network in clear text/)]);
  });

  it('on loopback needs neither, and says when there are no tokens', () => {
    const local = { host: '127.0.0.1', insecure: false, tokens: false, tls: false };
    expect(logged((log) => checkExposure(local, log))).toEqual([
      expect.stringMatching(/no API token configured/),
    ]);
  });
});
