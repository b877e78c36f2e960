import { randomBytes } from 'node:crypto';
import fc from 'fast-check';

/*
 * Generators of hostile requests for the fuzz suite (test/fuzz.test.ts). Every request is built
 * so that it must not change anything: a valid skeleton with at least one field replaced by a
 * value from that field's pool of invalid values, or junk, or another app's names and lease ids.
 * The test's model (`harmless`) says which 2xx answers are still no-ops.
 */

/** Who sends a request: the two apps, the admin, or a bad token. */
export type Sender = 'orders' | 'billing' | 'admin' | 'nobody';

/** The other app's fixtures, known to the generators: names and a live lease id per app. */
export interface Fixtures {
  readonly leaseIds: Readonly<Record<'orders' | 'billing', string>>;
}

/** One hostile HTTP request. */
export interface HttpCase {
  readonly channel: 'http';
  readonly category: string;
  readonly sender: Sender;
  readonly method: string;
  readonly path: string;
  readonly body?: Buffer;
  readonly headers?: Record<string, string>;
  /** Set when the same request with a random lease id must get the very same answer. */
  readonly foreign?: { readonly leaseId: string };
}

/** One hostile client-stream frame. */
export interface StreamCase {
  readonly channel: 'stream';
  readonly category: string;
  readonly sender: 'orders' | 'billing';
  readonly frame: string;
  /** The reply's id: the request's own when it has a usable one, else null. */
  readonly replyId: string | null;
  readonly op: string;
  readonly foreign?: { readonly leaseId: string };
}

/** One hostile gRPC call: a request object for the proto serializer, or raw message bytes. */
export interface GrpcCase {
  readonly channel: 'grpc';
  readonly category: string;
  readonly sender: Sender;
  readonly method: 'TryLockAlpha1' | 'UnlockAlpha1';
  readonly request: Record<string, unknown> | Buffer;
}

export type HostileCase = HttpCase | StreamCase | GrpcCase;

/** A number JSON.stringify cannot write (1e309, -0): spliced into the text as written. */
class Raw {
  constructor(readonly text: string) {}
}

/** Serializes with Raw values spliced in as their text. */
export function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `\u0000raw${raws.length - 1}\u0000`;
    }
    return v;
  });
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)]!);
}

const deep = (depth: number) => new Raw('['.repeat(depth) + ']'.repeat(depth));
const WRONG_TYPES = [true, false, [], {}, [1, 'a'], { a: { b: [] } }, 0, 1, 'text'];
const BAD_STRINGS = ['', '\ud800', 'a\udc00b', '\udfff\ud800', 'n'.repeat(1025), 'é'.repeat(513), 'a||b'];
const BAD_NUMBERS = [
  new Raw('1e309'),
  new Raw('-1e309'),
  new Raw('-0'),
  1.5,
  -1,
  2 ** 53,
  -(2 ** 53),
  2 ** 31,
  '12',
  '1.5',
  'NaN',
  new Raw('1E400'),
  new Raw('0.0000000000000000000001'),
];

/** Invalid values for each kind of field (a value valid for the field never appears). */
const POOLS = {
  name: [...BAD_STRINGS, ...WRONG_TYPES.filter((v) => typeof v !== 'string'), 7, null, deep(50)],
  leaseId: ['', '\ud800', 'x'.repeat(129), true, [], {}, 12, null, new Raw('1e309')],
  // An optional lease id: null means none, so it is not in the pool.
  optionalLeaseId: ['', '\ud800', 'x'.repeat(129), true, [], {}, 12, new Raw('1e309')],
  // ttlMs runs to a year, so 2**31 is valid and not here.
  ttlMs: [
    ...BAD_NUMBERS.filter((v) => v !== 2 ** 31),
    0,
    999,
    31_536_000_001,
    null,
    true,
    [],
    {},
    'ten seconds',
  ],
  waitMs: [new Raw('1e309'), -1, 1.5, 600_001, 2 ** 53, '12', true, [], { a: 1 }, new Raw('-1e309')],
  maxHoldMs: [0, -1, 1.5, '12', 31_536_000_001, true, new Raw('1e309')],
  owner: ['', '\ud800', 'o'.repeat(257), 5, true, [], {}],
  value: [5, true, null, [], {}, 'v\ud800', new Raw('1e309')],
  // Counters take any safe integer, -0 and 2**31 included.
  integer: [
    new Raw('1e309'),
    new Raw('-1e309'),
    1.5,
    2 ** 53,
    -(2 ** 53),
    '12',
    '1.5',
    'NaN',
    new Raw('1E400'),
    null,
    true,
    [],
    {},
  ],
  ifVersion: [-1, 1.5, '3', true, new Raw('1e309'), []],
  fence: [5, 'lock', [], { lock: '\ud800', token: 1 }, { lock: 'l', token: -1 }, { lock: 'l', token: 1.5 }],
  daprString: ['', '\ud800', 'x\udfff', 'n'.repeat(1025), 'a||b', 5, true, [], {}, null],
  daprOwner: ['', '\ud800', 'o'.repeat(257), 5, true, [], {}, null],
  expiryInSeconds: [
    0,
    new Raw('-0'),
    -5,
    1.5,
    2 ** 31,
    2 ** 53,
    new Raw('1e309'),
    '1.5',
    'abc',
    true,
    [],
    {},
  ],
};
type FieldKind = keyof typeof POOLS;

/** A native or Dapr body route: its skeleton (valid names, a random lease id) and field kinds. */
interface BodyRoute {
  readonly method: string;
  readonly path: string;
  readonly fields: Readonly<Record<string, FieldKind>>;
  readonly skeleton: (leaseId: string) => Record<string, unknown>;
  readonly op?: string;
}

const randomLeaseId = () => randomBytes(16).toString('hex');

const BODY_ROUTES: readonly BodyRoute[] = [
  {
    method: 'POST',
    path: '/v1/lockstore/leases',
    op: 'grantLease',
    fields: { ttlMs: 'ttlMs', owner: 'owner' },
    skeleton: () => ({ ttlMs: 5_000, owner: 'fuzz' }),
  },
  {
    method: 'POST',
    path: '/v1/lockstore/locks/acquire',
    op: 'acquire',
    fields: { name: 'name', leaseId: 'leaseId', waitMs: 'waitMs', maxHoldMs: 'maxHoldMs' },
    skeleton: (leaseId) => ({ name: 'fuzz/lock', leaseId, waitMs: 0 }),
  },
  {
    method: 'POST',
    path: '/v1/lockstore/locks/release',
    op: 'release',
    fields: { name: 'name', leaseId: 'leaseId' },
    skeleton: (leaseId) => ({ name: 'fuzz/lock', leaseId }),
  },
  {
    method: 'POST',
    path: '/v1/lockstore/locks/force-release',
    fields: { name: 'name' },
    skeleton: () => ({ name: 'fuzz/lock' }),
  },
  {
    method: 'PUT',
    path: '/v1/lockstore/kv',
    op: 'put',
    fields: {
      key: 'name',
      value: 'value',
      leaseId: 'optionalLeaseId',
      ifVersion: 'ifVersion',
      fence: 'fence',
    },
    skeleton: (leaseId) => ({ key: 'fuzz/key', value: 'v', leaseId }),
  },
  {
    method: 'POST',
    path: '/v1/lockstore/counters/add',
    op: 'counterAdd',
    fields: { name: 'name', delta: 'integer' },
    skeleton: () => ({ name: 'fuzz/count', delta: 1 }),
  },
  {
    method: 'PUT',
    path: '/v1/lockstore/counters',
    op: 'counterSet',
    fields: { name: 'name', value: 'integer' },
    skeleton: () => ({ name: 'fuzz/count', value: 1 }),
  },
  {
    method: 'POST',
    path: '/v1.0-alpha1/lock/lockstore',
    fields: { resourceId: 'daprString', lockOwner: 'daprOwner', expiryInSeconds: 'expiryInSeconds' },
    skeleton: () => ({ resourceId: 'fuzz/dapr', lockOwner: 'fuzz', expiryInSeconds: 60 }),
  },
  {
    method: 'POST',
    path: '/v1.0-alpha1/unlock/lockstore',
    fields: { resourceId: 'daprString', lockOwner: 'daprOwner' },
    skeleton: () => ({ resourceId: 'fuzz/dapr', lockOwner: 'fuzz' }),
  },
];

const QUERY_ROUTES: readonly (readonly [string, string, readonly string[]])[] = [
  ['GET', '/v1/lockstore/locks', ['name', 'prefix']],
  ['GET', '/v1/lockstore/locks/check', ['name', 'token']],
  ['GET', '/v1/lockstore/kv', ['key']],
  ['DELETE', '/v1/lockstore/kv', ['key']],
  ['GET', '/v1/lockstore/counters', ['name']],
  ['GET', '/v1/lockstore/watch', ['prefix', 'afterRevision']],
];

const BAD_QUERY_VALUES = [
  '',
  '%FF',
  '%ED%A0%80',
  'a%zz',
  '%C0%AF',
  'n'.repeat(1025),
  'a||b',
  '-1',
  '1.5',
  '1e309',
  '%00',
  'x&name=y',
];

const sender = fc.constantFrom<Sender>('orders', 'orders', 'billing', 'billing', 'admin', 'nobody');
const appSender = fc.constantFrom<'orders' | 'billing'>('orders', 'billing');
const other = (app: 'orders' | 'billing') => (app === 'orders' ? 'billing' : 'orders');
const body = (value: unknown) => Buffer.from(toJson(value));

/** A body route with one or more fields replaced by invalid values. */
const badField = fc
  .record({
    route: fc.constantFrom(...BODY_ROUTES),
    sender,
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    alsoUnknown: fc.boolean(),
  })
  .map(({ route, sender, picks, alsoUnknown }): HttpCase => {
    const fields = Object.keys(route.fields);
    const request = route.skeleton(randomLeaseId());
    let category = 'bad-field';
    for (const pick of picks) {
      const field = fields[pick % fields.length]!;
      const pool = POOLS[route.fields[field]!];
      const value = pool[Math.floor(pick / fields.length) % pool.length];
      request[field] = value;
      if (value instanceof Raw || typeof value === 'number' || typeof value === 'string')
        category = 'bad-value';
    }
    if (alsoUnknown) request.__proto__extra = { constructor: { prototype: 1 } };
    return { channel: 'http', category, sender, method: route.method, path: route.path, body: body(request) };
  });

/** Broken JSON, bad UTF-8 bytes, deep nesting, a body that is not an object, or an oversized one. */
const junkBody = fc
  .record({
    route: fc.constantFrom(...BODY_ROUTES),
    sender,
    kind: fc.constantFrom(
      'truncated',
      'garbage',
      'utf8',
      'surrogate-bytes',
      'deep',
      'scalar',
      'bytes',
      'huge',
    ),
    cut: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    json: fc.jsonValue({ maxDepth: 3 }),
  })
  .map(({ route, sender, kind, cut, bytes, json }): HttpCase => {
    const text = toJson(route.skeleton(randomLeaseId()));
    const at = (n: number) => 1 + (cut % Math.max(1, n - 2));
    const bodies: Record<string, () => Buffer> = {
      truncated: () => Buffer.from(text.slice(0, at(text.length))),
      garbage: () => Buffer.from(`${text}}{,"`),
      utf8: () =>
        Buffer.concat([
          Buffer.from(text.slice(0, at(text.length))),
          Buffer.from([0xff, 0xc3, 0x28]),
          Buffer.from(text.slice(at(text.length))),
        ]),
      // A surrogate written as UTF-8 bytes (CESU-8): not UTF-8, though it looks like it.
      'surrogate-bytes': () => {
        const where = text.indexOf(':') + 2;
        return Buffer.concat([
          Buffer.from(text.slice(0, where)),
          Buffer.from([0xed, 0xa0, 0x80]),
          Buffer.from(text.slice(where)),
        ]);
      },
      deep: () => Buffer.from(cut % 2 === 0 ? deep(100_000).text : `{"name":${deep(100_000).text}}`),
      scalar: () => body(Array.isArray(json) || typeof json !== 'object' || json === null ? json : [json]),
      bytes: () => Buffer.from(bytes),
      huge: () => Buffer.alloc(cut % 2 === 0 ? 70_000 : 1_100_000, 0x20),
    };
    const category =
      kind === 'utf8' || kind === 'surrogate-bytes'
        ? 'bad-utf8'
        : kind === 'deep'
          ? 'deep-nesting'
          : kind === 'huge'
            ? 'oversized'
            : 'broken-json';
    return {
      channel: 'http',
      category,
      sender,
      method: route.method,
      path: route.path,
      body: bodies[kind]!(),
    };
  });

/** Query routes with bad or percent-broken values. */
const badQuery = fc
  .record({
    route: fc.constantFrom(...QUERY_ROUTES),
    sender,
    value: fc.constantFrom(...BAD_QUERY_VALUES),
    extra: fc.boolean(),
  })
  .map(({ route, sender, value, extra }): HttpCase => {
    const [method, path, params] = route;
    const query = params.map((p, i) => `${p}=${i === 0 || extra ? value : '1'}`).join('&');
    const headers: Record<string, string> = extra && path.endsWith('watch') ? { 'last-event-id': '-1' } : {};
    return { channel: 'http', category: 'bad-query', sender, method, path: `${path}?${query}`, headers };
  });

/** Unknown or malformed stores and ids in paths, unknown routes, bad tokens. */
const badPath = fc
  .record({
    sender,
    store: fc.constantFrom('nostore', 'LOCKSTORE', '%ED%A0%80', '%FF', 'a%2Fb', '..', 'x'.repeat(300), '%00'),
    id: fc.constantFrom('%ED%A0%80', '%FF', 'x'.repeat(129), 'nope', '%20'),
    kind: fc.constantFrom(
      'lease-get',
      'lease-keepalive',
      'lease-delete',
      'dapr-lock',
      'kv',
      'unknown',
      'leases-list',
      'stores',
      'metadata',
    ),
  })
  .map(({ sender, store, id, kind }): HttpCase => {
    const cases: Record<string, [string, string, Buffer?]> = {
      'lease-get': ['GET', `/v1/lockstore/leases/${id}`],
      'lease-keepalive': ['POST', `/v1/${store}/leases/${randomLeaseId()}/keepalive`],
      'lease-delete': ['DELETE', `/v1/lockstore/leases/${id}`],
      'dapr-lock': [
        'POST',
        `/v1.0-alpha1/lock/${store}`,
        body({ resourceId: 'r', lockOwner: 'o', expiryInSeconds: 5 }),
      ],
      kv: ['PUT', `/v1/${store}/kv`, body({ key: 'k', value: 'v' })],
      unknown: ['PATCH', `/v1/lockstore/locks/${id}`],
      'leases-list': ['GET', '/v1/lockstore/leases'],
      stores: ['GET', '/v1/stores'],
      metadata: ['GET', '/v1.0/metadata'],
    };
    const [method, path, payload] = cases[kind]!;
    const category =
      sender === 'nobody'
        ? 'bad-token'
        : kind === 'dapr-lock' || kind === 'kv'
          ? 'unknown-store'
          : 'bad-path';
    return { channel: 'http', category, sender, method, path, ...(payload ? { body: payload } : {}) };
  });

/** Another app's names (in the sender's own scope, so harmless) and its live lease id (must be unknown). */
const foreign = (fixtures: Fixtures) =>
  fc.record({ app: appSender, kind: fc.nat({ max: 6 }) }).map(({ app, kind }): HttpCase => {
    const leaseId = fixtures.leaseIds[other(app)];
    const name = `${other(app)}/held`;
    const cases: [string, string, unknown?][] = [
      ['POST', `/v1/lockstore/leases/${leaseId}/keepalive`],
      ['DELETE', `/v1/lockstore/leases/${leaseId}`],
      ['GET', `/v1/lockstore/leases/${leaseId}`],
      ['POST', '/v1/lockstore/locks/acquire', { name: `fuzz/${app}`, leaseId }],
      ['POST', '/v1/lockstore/locks/release', { name, leaseId }],
      ['PUT', '/v1/lockstore/kv', { key: `fuzz/${app}`, value: 'v', leaseId }],
      [
        'POST',
        '/v1.0-alpha1/unlock/lockstore',
        { resourceId: `${other(app)}/dapr`, lockOwner: `${other(app)}-owner` },
      ],
    ];
    const [method, path, payload] = cases[kind]!;
    return {
      channel: 'http',
      category: kind === 6 ? 'foreign-name' : 'foreign-lease',
      sender: app,
      method,
      path,
      ...(payload === undefined ? {} : { body: body(payload) }),
      ...(kind === 6 ? {} : { foreign: { leaseId } }),
    };
  });

/** Hostile HTTP requests. */
export function httpCases(fixtures: Fixtures): fc.Arbitrary<HttpCase> {
  return fc.oneof(
    { arbitrary: badField, weight: 40 },
    { arbitrary: junkBody, weight: 20 },
    { arbitrary: badQuery, weight: 15 },
    { arbitrary: badPath, weight: 15 },
    { arbitrary: foreign(fixtures), weight: 10 },
  );
}

let streamIds = 0;
const STREAM_OPS: Record<string, [Record<string, FieldKind>, (leaseId: string) => Record<string, unknown>]> =
  {
    grantLease: [{ ttlMs: 'ttlMs', owner: 'owner' }, () => ({ ttlMs: 5_000 })],
    keepAlive: [{ leaseId: 'leaseId' }, (leaseId) => ({ leaseId })],
    revokeLease: [{ leaseId: 'leaseId' }, (leaseId) => ({ leaseId })],
    getLease: [{ leaseId: 'leaseId' }, (leaseId) => ({ leaseId })],
    acquire: [
      { name: 'name', leaseId: 'leaseId', waitMs: 'waitMs' },
      (leaseId) => ({ name: 'fuzz/s', leaseId }),
    ],
    release: [{ name: 'name', leaseId: 'leaseId' }, (leaseId) => ({ name: 'fuzz/s', leaseId })],
    describeLock: [{ name: 'name' }, () => ({ name: 'fuzz/s' })],
    listLocks: [{ prefix: 'name' }, () => ({ prefix: 'fuzz' })],
    checkLock: [{ name: 'name', token: 'integer' }, () => ({ name: 'fuzz/s', token: 1 })],
    put: [{ key: 'name', value: 'value', leaseId: 'optionalLeaseId' }, () => ({ key: 'fuzz/s', value: 'v' })],
    get: [{ key: 'name' }, () => ({ key: 'fuzz/s' })],
    delete: [{ key: 'name' }, () => ({ key: 'fuzz/s' })],
    counterAdd: [{ name: 'name', delta: 'integer' }, () => ({ name: 'fuzz/s', delta: 1 })],
    counterGet: [{ name: 'name' }, () => ({ name: 'fuzz/s' })],
    counterSet: [{ name: 'name', value: 'integer' }, () => ({ name: 'fuzz/s', value: 1 })],
    watch: [{ prefix: 'name' }, () => ({ prefix: 'fuzz' })],
  };

/** Hostile client-stream frames: bad fields, bad envelopes, junk frames, foreign lease ids. */
export function streamCases(fixtures: Fixtures): fc.Arbitrary<StreamCase> {
  const badArgs = fc
    .record({
      op: fc.constantFrom(...Object.keys(STREAM_OPS)),
      app: appSender,
      pick: fc.nat(),
      store: fc.constantFrom(undefined, 'lockstore', 'nostore'),
    })
    .map(({ op, app, pick, store }): StreamCase => {
      const [fields, skeleton] = STREAM_OPS[op]!;
      const args = skeleton(randomLeaseId());
      const names = Object.keys(fields);
      const field = names[pick % names.length]!;
      const pool = POOLS[fields[field]!];
      args[field] = pool[Math.floor(pick / names.length) % pool.length];
      const id = `s${(streamIds += 1)}`;
      const frame = toJson({
        id,
        op,
        ...(store === undefined ? { store: 'lockstore' } : { store }),
        ...args,
      });
      return { channel: 'stream', category: 'stream-bad-field', sender: app, frame, replyId: id, op };
    });
  const badEnvelope = fc
    .record({ app: appSender, kind: fc.nat({ max: 7 }), json: fc.jsonValue({ maxDepth: 2 }) })
    .map(({ app, kind, json }): StreamCase => {
      const id = `s${(streamIds += 1)}`;
      const frames: [string, string | null, string][] = [
        ['{"id": 1, "op": ', null, 'junk'],
        [toJson({ id: [], op: 'get', key: 'k' }), null, 'get'],
        [toJson({ id, op: 'noSuchOp' }), id, 'noSuchOp'],
        [toJson({ id, op: '' }), id, ''],
        [toJson({ id, op: 'get', store: 5, key: 'k' }), id, 'get'],
        [deep(100_000).text, null, 'junk'],
        [
          // One scalar: an array frame is a batch, and `[]` rightly gets no reply.
          toJson(typeof json === 'object' && json !== null ? 'scalar' : json),
          null,
          'junk',
        ],
        [
          toJson({
            id,
            op: 'acquire',
            store: 'lockstore',
            name: `fuzz/${app}`,
            leaseId: fixtures.leaseIds[other(app)],
          }),
          id,
          'acquire',
        ],
      ];
      const [frame, replyId, op] = frames[kind]!;
      return kind === 7
        ? {
            channel: 'stream',
            category: 'foreign-lease',
            sender: app,
            frame,
            replyId,
            op,
            foreign: { leaseId: fixtures.leaseIds[other(app)] },
          }
        : { channel: 'stream', category: 'stream-bad-envelope', sender: app, frame, replyId, op };
    });
  return fc.oneof({ arbitrary: badArgs, weight: 3 }, { arbitrary: badEnvelope, weight: 1 });
}

/** Hostile gRPC calls: bad strings (sent as bytes that are not UTF-8), bad int32s, raw junk messages. */
export function grpcCases(): fc.Arbitrary<GrpcCase> {
  const fields = fc
    .record({
      method: fc.constantFrom<'TryLockAlpha1' | 'UnlockAlpha1'>('TryLockAlpha1', 'UnlockAlpha1'),
      sender,
      storeName: fc.constantFrom('lockstore', 'nostore', '', '\ud800'),
      resourceId: fc.constantFrom('', '\ud800', 'x\udfff', 'n'.repeat(1025), 'a||b', 'fuzz/g'),
      lockOwner: fc.constantFrom('', '\udc00', 'o'.repeat(257), 'fuzz'),
      expiryInSeconds: fc.constantFrom(0, -1, -(2 ** 31), 10),
    })
    .filter(
      (r) =>
        !(
          r.storeName === 'lockstore' &&
          r.resourceId === 'fuzz/g' &&
          r.lockOwner === 'fuzz' &&
          (r.expiryInSeconds > 0 || r.method === 'UnlockAlpha1')
        ),
    )
    .map(({ method, sender, ...request }): GrpcCase => ({
      channel: 'grpc',
      category: 'grpc-bad-field',
      sender,
      method,
      request,
    }));
  const raw = fc
    .record({
      method: fc.constantFrom<'TryLockAlpha1' | 'UnlockAlpha1'>('TryLockAlpha1', 'UnlockAlpha1'),
      sender,
      bytes: fc.uint8Array({ maxLength: 80 }),
    })
    .map(({ method, sender, bytes }): GrpcCase => ({
      channel: 'grpc',
      category: 'grpc-raw-bytes',
      sender,
      method,
      request: Buffer.from(bytes),
    }));
  return fc.oneof({ arbitrary: fields, weight: 2 }, { arbitrary: raw, weight: 1 });
}
