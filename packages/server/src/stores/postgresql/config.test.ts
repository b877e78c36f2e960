import { LeaseholdError } from '@leasehold/core';
import { describe, expect, it } from 'vitest';
import { parsePgMetadata } from './config.js';

const parse = (entries: Record<string, string>) =>
  parsePgMetadata('lockstore', new Map(Object.entries(entries).map(([k, v]) => [k.toLowerCase(), v])));

function refusal(entries: Record<string, string>): { field: string | undefined; message: string } {
  try {
    parse(entries);
  } catch (error) {
    expect(error).toBeInstanceOf(LeaseholdError);
    expect((error as LeaseholdError).code).toBe('INVALID_ARGUMENT');
    return { field: (error as LeaseholdError).field, message: (error as Error).message };
  }
  throw new Error('accepted');
}

describe('lock.postgresql metadata', () => {
  it('reads a connection string, naming the host but never the password', () => {
    const config = parse({
      connectionString: 'postgres://app:secret@db.local:6543/locks',
      schema: 'ops_locks',
    });
    expect(config.target).toEqual({
      url: 'postgres://app:secret@db.local:6543/locks',
      place: 'db.local:6543',
    });
    expect(config.listenTarget).toBe(config.target);
    expect(config).toMatchObject({
      schema: 'ops_locks',
      timeoutMs: 5_000,
      poolSize: 10,
      preparedStatements: true,
    });
  });

  it('reads host, port, user, password and database, and a separate LISTEN connection', () => {
    const config = parse({
      host: 'db.local',
      user: 'app',
      password: 'pw',
      database: 'locks',
      listenConnectionString: 'postgresql://app@db-direct.local/locks',
      timeoutMs: '2000',
      poolSize: '4',
      preparedStatements: 'false',
    });
    expect(config.target).toEqual({
      host: 'db.local',
      port: 5432,
      user: 'app',
      password: 'pw',
      database: 'locks',
      place: 'db.local:5432',
    });
    expect(config.listenTarget.place).toBe('db-direct.local:5432');
    expect(config).toMatchObject({
      schema: 'leasehold',
      timeoutMs: 2_000,
      poolSize: 4,
      preparedStatements: false,
    });
  });

  it('refuses each bad field by name, with the limit it broke', () => {
    expect(refusal({})).toMatchObject({ field: 'connectionString' });
    expect(refusal({ connectionString: 'mysql://db/x' }).message).toContain('scheme mysql: is not');
    expect(refusal({ connectionString: 'not a url' }).field).toBe('connectionString');
    expect(refusal({ connectionString: 'postgres://db/x', host: 'db' }).field).toBe('host');
    expect(refusal({ host: 'db', port: '70000' }).message).toContain('port: an integer from 1 to 65535');
    expect(refusal({ host: 'db', schema: 'Bad-Name' }).field).toBe('schema');
    expect(refusal({ host: 'db', timeoutMs: '5' }).message).toContain(
      'timeoutMs: an integer from 100 to 600000',
    );
    expect(refusal({ host: 'db', poolSize: '0' }).field).toBe('poolSize');
    expect(refusal({ host: 'db', preparedStatements: 'yes' }).field).toBe('preparedStatements');
    expect(refusal({ host: 'db', listenConnectionString: 'x' }).field).toBe('listenConnectionString');
    expect(refusal({ host: 'db', tlsCert: '/nonexistent/cert.pem' }).message).toContain(
      'tlsCert: cannot read',
    );
    expect(refusal({ host: 'db', redisHost: 'x' }).message).toContain('redishost: unknown field');
  });
});
