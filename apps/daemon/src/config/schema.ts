import { z } from 'zod';
import { parseDuration } from './duration';

export const BROKERS = ['fyers', 'kite', 'dhan', 'schwab', 'kotak'] as const;
export type BrokerName = (typeof BROKERS)[number];

const duration = (what: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what}: "${v}" is not a duration. Use e.g. "90s", "15m", "2h", "7d" or milliseconds.` });
      return z.NEVER;
    }
    return ms;
  });

const severity = z.enum(['info', 'warning', 'critical']);

const routing = {
  minSeverity: severity.optional(),
  accounts: z.array(z.string()).optional(),
  kinds: z.array(z.string()).optional(),
  excludeKinds: z.array(z.string()).optional(),
  rateLimit: z.object({ perKey: duration('rateLimit.perKey') }).optional(),
};

export const alertChannelSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('telegram'), botToken: z.string().min(1), chatId: z.union([z.string(), z.number()]).transform(String), baseUrl: z.string().url().optional(), ...routing }),
  z.object({ type: z.literal('slack'), webhookUrl: z.string().url(), ...routing }),
  z.object({ type: z.literal('discord'), webhookUrl: z.string().url(), ...routing }),
  z.object({ type: z.literal('webhook'), url: z.string().url(), secret: z.string().min(16, 'use a secret of at least 16 characters'), ...routing }),
  z.object({
    type: z.literal('email'),
    smtp: z.object({ host: z.string().min(1), port: z.number().int().positive(), secure: z.boolean().optional(), user: z.string().optional(), password: z.string().optional() }),
    from: z.string().min(3),
    to: z.union([z.string(), z.array(z.string())]),
    ...routing,
  }),
  z.object({ type: z.literal('file'), path: z.string().min(1), ...routing }),
]);
export type AlertChannelConfig = z.infer<typeof alertChannelSchema>;

export const sinkSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('json-file'), path: z.string().min(1) }),
  z.object({ type: z.literal('schwab-py'), path: z.string().min(1) }),
  z.object({
    type: z.literal('env'),
    path: z.string().min(1),
    key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name'),
    refreshKey: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    expiresKey: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
  }),
  z.object({ type: z.literal('raw'), path: z.string().min(1) }),
  z.object({
    type: z.literal('unix-socket'),
    path: z.string().min(1),
    tries: z.number().int().min(1).max(20).default(3),
    interval: duration('interval').default(5_000),
    timeout: duration('timeout').default(5_000),
  }),
  z.object({
    type: z.literal('exec'),
    command: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    timeout: duration('timeout').default(30_000),
  }),
]);
export type SinkConfig = z.infer<typeof sinkSchema>;

const scheduleSchema = z.object({
  cron: z.string().min(1),
  timeZone: z.string().optional(),
  skipHolidaysOf: z.enum(['NSE', 'BSE', 'MCX', 'NYSE', 'NASDAQ']).optional(),
  alsoRefreshAhead: z.boolean().optional(),
});

/** Keys the daemon owns; everything else on an account goes to the broker's factory. */
export const RESERVED_ACCOUNT_KEYS = ['broker', 'label', 'schedule', 'market', 'escalation', 'validateEvery', 'refreshAhead', 'alerts', 'sinks', 'watchEnv', 'enabled'] as const;

export const accountSchema = z.looseObject({
  broker: z.enum(BROKERS, { message: `broker must be one of: ${BROKERS.join(', ')}` }),
  label: z.string().optional(),
  enabled: z.boolean().default(true),
  schedule: scheduleSchema.optional(),
  market: z.enum(['NSE', 'BSE', 'MCX', 'NYSE', 'NASDAQ']).optional(),
  escalation: z.array(duration('escalation')).optional(),
  validateEvery: duration('validateEvery').optional(),
  refreshAhead: z.object({ ratio: z.number().gt(0).lt(1).optional(), jitter: z.number().min(0).max(0.5).optional(), minMargin: duration('minMargin').optional() }).optional(),
  alerts: z.array(alertChannelSchema).optional(),
  sinks: z.array(sinkSchema).default([]),
  /** Adopt a token a human pastes into this `.env` key (the Kite setup's manual path). */
  watchEnv: z.object({ path: z.string().min(1), key: z.string().min(1) }).optional(),
});
export type AccountFileConfig = z.infer<typeof accountSchema>;

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7420')
  .default('127.0.0.1:7420');

const redisNode = z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) });

/** PEM text, usually `${file:/path/to/file.pem}`. */
const redisTls = z.union([
  z.boolean(),
  z.object({
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    servername: z.string().min(1).optional(),
    rejectUnauthorized: z.boolean().optional(),
  }),
]);

/** One Redis server (`url`), a Sentinel-watched master (`sentinels` + `name`), or a Cluster (`cluster`). */
const redisStoreSchema = z
  .object({
    type: z.literal('redis'),
    url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
    sentinels: z.array(redisNode).min(1).optional(),
    name: z.string().min(1).optional(),
    sentinelPassword: z.string().optional(),
    cluster: z.array(redisNode).min(1).optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    tls: redisTls.optional(),
    keyPrefix: z.string().min(1).default('tokens'),
    encryptionKey: z.string().optional(),
  })
  .superRefine((v, ctx) => {
    const given = (['url', 'sentinels', 'cluster'] as const).filter((k) => v[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: given.length === 0 ? ['url'] : [given[1]!],
        message:
          given.length === 0
            ? 'is required: set url (one server, e.g. redis://127.0.0.1:6379), or sentinels + name (Sentinel), or cluster (a list of { host, port } nodes)'
            : `set only one of url, sentinels and cluster (found ${given.join(' and ')})`,
      });
    }
    if (v.sentinels && !v.name) ctx.addIssue({ code: 'custom', path: ['name'], message: 'is required with sentinels: the master name the sentinels monitor, e.g. mymaster' });
    if (!v.sentinels && (v.name !== undefined || v.sentinelPassword !== undefined)) {
      ctx.addIssue({ code: 'custom', path: [v.name !== undefined ? 'name' : 'sentinelPassword'], message: 'only applies with sentinels: add sentinels, or remove it' });
    }
    if (typeof v.tls === 'object' && (v.tls.cert === undefined) !== (v.tls.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tls', v.tls.cert === undefined ? 'cert' : 'key'], message: 'a client certificate needs both tls.cert and tls.key (e.g. ${file:/etc/tokens/redis-client.crt})' });
    }
  });

export type RedisStoreConfig = z.infer<typeof redisStoreSchema>;

export const configSchema = z.object({
  store: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('file'), dir: z.string().min(1).default('./.tokens'), encryptionKey: z.string().optional() }),
      redisStoreSchema,
    ])
    .default({ type: 'file', dir: './.tokens' }),
  http: z
    .object({
      listen,
      apiToken: z.string().min(16, 'use an API token of at least 16 characters (e.g. `openssl rand -hex 24`)').optional(),
      publicUrl: z.string().url().optional(),
      dashboardPassword: z.string().min(8).optional(),
    })
    .default({ listen: '127.0.0.1:7420' }),
  socket: z.object({ path: z.string().min(1) }).optional(),
  log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'), pretty: z.boolean().optional() }).default({ level: 'info' }),
  escalation: z.array(duration('escalation')).optional(),
  /** Also alert (info) on every successful refresh; off by default. */
  notifyOnRefresh: z.boolean().default(false),
  /** Engine timing for every account. The defaults suit real brokers; short-lived test tokens and HA setups tune them. */
  engine: z
    .object({
      /** A broker call that takes longer is aborted (retryable). Default 30s. */
      refreshTimeout: duration('engine.refreshTimeout').optional(),
      /** Refresh lease; a dead refresher is replaced after at most this long. Default refreshTimeout + 30s. */
      lockTtl: duration('engine.lockTtl').optional(),
      /** A token counts as expired this long before its expiresAt. Default 10s. */
      expirySkew: duration('engine.expirySkew').optional(),
      /** Broker calls in flight at once, all accounts together; the rest queue. Default 16. */
      maxConcurrentRefreshes: z.number().int('use a whole number, e.g. 16').min(1, 'use at least 1 (the default is 16)').optional(),
    })
    .optional(),
  alerts: z.array(alertChannelSchema).default([]),
  accounts: z.record(z.string(), accountSchema).default({}),
});
export type DaemonConfig = z.infer<typeof configSchema>;
