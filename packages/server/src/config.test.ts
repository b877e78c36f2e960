import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, parseSettings } from './config.js';

describe('server settings', () => {
  it('defaults to loopback, 3500, 50001, ./data and ./components', () => {
    const { settings } = parseSettings([], {});
    expect(settings).toEqual(DEFAULT_SETTINGS);
    expect(settings).toMatchObject({ host: '127.0.0.1', port: 3500, grpcPort: 50001, dataDir: './data' });
  });

  it('reads flags, then env', () => {
    const env = { LEASEHOLD_PORT: '4001', LEASEHOLD_DATA_DIR: './env-data', LEASEHOLD_APP_ID: 'from-env' };
    const { settings } = parseSettings(['--port', '4000', '--data-dir', './other-data'], env);
    expect(settings).toMatchObject({ port: 4000, dataDir: './other-data', appId: 'from-env' });
    expect(parseSettings([], env).settings).toMatchObject({ port: 4001, dataDir: './env-data' });
  });

  it('names the flag and the range of a bad value', () => {
    expect(() => parseSettings(['--port', '70000'], {})).toThrow(
      /--port: must be an integer from 0 to 65535/,
    );
    expect(() => parseSettings([], { LEASEHOLD_GRPC_PORT: 'abc' })).toThrow(/--grpc-port/);
    expect(() => parseSettings(['--bogus'], {})).toThrow(/bogus/);
  });

  it('reads --log-format or LEASEHOLD_LOG_FORMAT, and names the choices of a bad one', () => {
    expect(parseSettings([], {}).settings.logFormat).toBe('auto');
    expect(parseSettings(['--log-format', 'json'], {}).settings.logFormat).toBe('json');
    expect(parseSettings([], { LEASEHOLD_LOG_FORMAT: 'pretty' }).settings.logFormat).toBe('pretty');
    expect(() => parseSettings(['--log-format', 'xml'], {})).toThrow(
      '--log-format: must be one of auto, pretty, json, got "xml"',
    );
  });
});
