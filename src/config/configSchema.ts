import { z } from 'zod';
import { DEPARTMENTS, ENTITY_TYPES } from './types';

const pgDepartment = z
  .object({
    /** Connection URL; empty in embedded mode, where the embedded server's URL is used. */
    url: z.string().optional(),
    /** Schema holding the department's tables, default the department's name. */
    schema: z.string().regex(/^[a-z_][a-z0-9_]*$/),
    /** Mapping file, relative to the config file. */
    mapping: z.string(),
    /** Per-query timeout in ms, default 5000. */
    timeoutMs: z.number().int().positive().default(5000),
    /** Pool size, default 10. */
    poolSize: z.number().int().positive().default(10),
  })
  .strict();

const mongoDepartment = z
  .object({
    url: z.string().optional(),
    /** Database name, default `market`. */
    database: z.string().min(1).default('market'),
    mapping: z.string(),
    timeoutMs: z.number().int().positive().default(5000),
    poolSize: z.number().int().positive().default(10),
  })
  .strict();

const departmentOrder = z
  .array(z.enum(DEPARTMENTS))
  .refine((a) => new Set(a).size === a.length && a.length === DEPARTMENTS.length, {
    message: `list each of ${DEPARTMENTS.join(', ')} exactly once`,
  });

export const configSchema = z
  .object({
    server: z
      .object({
        /** HTTP port, default 4000. */
        port: z.number().int().min(0).max(65535).default(4000),
        /** Bind address, default 127.0.0.1. */
        host: z.string().default('127.0.0.1'),
        /** GraphQL introspection, default true. */
        introspection: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    embedded: z
      .object({
        /** Start embedded Postgres and MongoDB for every URL left empty, default true. */
        enabled: z.boolean().default(true),
        /** Where embedded data lives, relative to the working directory, default ./data. */
        dataDir: z.string().default('./data'),
        /** Port of the embedded Postgres socket, default 54329. */
        pgPort: z.number().int().min(0).max(65535).default(54329),
        /** Port of the embedded MongoDB-compatible server, default 27037. */
        mongoPort: z.number().int().min(0).max(65535).default(27037),
        /** Seed demo data on first start, default true. */
        seedDemo: z.boolean().default(true),
        /** Seed used for demo data, default 42. */
        seed: z.number().int().default(42),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        url: z.string().optional(),
        /** Schema of Zhiwang's own tables, default hub. */
        schema: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/)
          .default('hub'),
        poolSize: z.number().int().positive().default(10),
      })
      .strict()
      .prefault({}),
    departments: z
      .object({
        police: pgDepartment,
        housing: pgDepartment,
        civil: pgDepartment,
        market: mongoDepartment,
      })
      .strict(),
    /** Which department's value wins when departments disagree, per entity type. */
    precedence: z.object(
      Object.fromEntries(ENTITY_TYPES.map((t) => [t, departmentOrder])) as Record<
        (typeof ENTITY_TYPES)[number],
        typeof departmentOrder
      >,
    ),
    provenance: z
      .object({
        /** Include extensions.provenance unless the request turns it off, default true. */
        enabled: z.boolean().default(true),
        /** Request header that turns it off with the value `off`, default x-zhiwang-provenance. */
        header: z.string().default('x-zhiwang-provenance'),
      })
      .strict()
      .prefault({}),
    audit: z
      .object({
        /** Days audit records are kept before their monthly partition is archived and dropped (≥ 180). */
        retentionDays: z.number().int().min(180, 'keep audit records at least 180 days').default(180),
        /** Where expired partitions are archived (compressed JSONL), relative to the working directory. */
        archiveDir: z.string().default('./data/audit-archive'),
        /** When chain heads are checkpointed (cron, Asia/Shanghai). */
        checkpointCron: z.string().default('*/15 * * * *'),
        /** When retention runs (cron, Asia/Shanghai). */
        retentionCron: z.string().default('30 3 * * *'),
        anomalies: z
          .object({
            /** A subject reading more distinct persons than this in one hour. */
            maxPersonsPerHour: z.number().int().positive().default(200),
            /** Working hours in Asia/Shanghai; access outside them is flagged. */
            workingHours: z
              .object({ start: z.string().regex(/^\d{2}:\d{2}$/), end: z.string().regex(/^\d{2}:\d{2}$/) })
              .strict()
              .default({ start: '08:00', end: '20:00' }),
            /** This many FORBIDDEN answers to one subject within `forbiddenWindowMinutes`. */
            forbiddenBurst: z.number().int().positive().default(5),
            forbiddenWindowMinutes: z.number().int().positive().default(10),
            /** The purposes each role usually acts for; any other purpose it uses is flagged. */
            usualPurposes: z.record(z.string(), z.array(z.string())).default({}),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** The scheduled jobs and the reconciliation rules' settings, relative to the config file. */
    jobs: z.string().default('jobs.yaml'),
    auth: z
      .object({
        /** Expected `iss` of every token. */
        issuer: z.string().min(1).default('zhiwang'),
        /** Expected `aud` of every token. */
        audience: z.string().min(1).default('zhiwang-hub'),
        /** Seconds of clock skew allowed on exp and nbf, default 30. */
        clockToleranceSec: z.number().int().min(0).max(300).default(30),
        /** RS256/ES256 public keys: kid → PEM file, relative to the config file. */
        publicKeys: z.record(z.string(), z.string().min(1)).default({}),
        /** A JWKS file (RSA and EC keys, each with a kid), relative to the config file. */
        jwksFile: z.string().optional(),
        /** The sharing policy, relative to the config file. */
        policy: z.string().default('policy.yaml'),
        /** Header naming the request's purpose. */
        purposeHeader: z.string().min(1).default('x-zhiwang-purpose'),
        demoSigning: z
          .object({
            /**
             * HS256 demo tokens. auto: on only when every database is embedded (the demo), off in server
             * mode unless set to true explicitly.
             */
            enabled: z.union([z.boolean(), z.literal('auto')]).default('auto'),
            /** At least 32 bytes; default a random key kept in <dataDir>/demo-signing.key. */
            secret: z.string().min(32, 'the demo signing secret must be at least 32 bytes').optional(),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type ZhiwangConfig = z.infer<typeof configSchema>;
