/**
 * config/jobs.yaml: the worker's schedules (cron syntax checked at startup, in one timezone) and the
 * reconciliation settings: page size, lease, deadlines by severity, and each rule's severity and
 * threshold. Anything invalid stops the process with `invalid config at jobs.<key>`.
 */
import cron from 'node-cron';
import { z } from 'zod';
import { readYaml } from '../config/configFile';
import type { LoadedConfig } from '../config/loadConfig';
import { ConfigError } from '../errors';
import { RULE_NAMES, type RuleName, type RuleParams } from './rules';
import type { RuleSetting } from './tasks';

const severity = z.union([z.literal(1), z.literal(2), z.literal(3)]);
const rule = <T extends z.ZodRawShape>(extra: T = {} as T) =>
  z.object({ enabled: z.boolean().default(true), severity, ...extra }).strict();

const jobsSchema = z
  .object({
    timezone: z.string().default('Asia/Shanghai'),
    jobs: z
      .record(
        z.string().regex(/^[a-z][a-z0-9-]*$/, 'job names are lower-case words joined by -'),
        z
          .object({
            schedule: z.string().refine((s) => cron.validate(s), {
              message: 'not a valid cron expression (minute hour day-of-month month day-of-week)',
            }),
            task: z.literal('reconcile'),
            full: z.boolean().default(false),
            /** Run once as soon as the worker starts, then on the schedule. */
            runOnStart: z.boolean().default(false),
            departments: z.array(z.enum(['police', 'market', 'civil', 'housing'])).optional(),
          })
          .strict(),
      )
      .default({}),
    reconciliation: z
      .object({
        batchSize: z.number().int().min(10).max(50_000).default(2000),
        leaseSeconds: z.number().int().min(1).default(60),
        deadlineHours: z
          .object({ 1: z.number().positive(), 2: z.number().positive(), 3: z.number().positive() })
          .strict()
          .default({ 1: 24, 2: 72, 3: 168 }),
        rules: z
          .object({
            DECEASED_BUT_ACTIVE: rule(),
            UNREGISTERED_TENANT: rule(),
            STALE_REGISTRATION: rule({ staleAfterDays: z.number().int().min(0).default(30) }),
            RESIDENCE_MISMATCH: rule(),
            WELFARE_WITH_BUSINESS: rule({ registeredCapitalAbove: z.number().min(0).default(100) }),
            ENTITY_ADDRESS_UNMATCHED: rule(),
            ENTITY_AT_RESIDENTIAL: rule(),
            OVERCROWDED_HOUSE: rule({ maxResidentsPerSquareMetre: z.number().positive().default(0.1667) }),
            IDENTITY_CONFLICT: rule(),
            UNKNOWN_HOUSE_CODE: rule(),
          })
          .strict(),
      })
      .strict(),
  })
  .strict();

export interface JobSpec {
  readonly name: string;
  readonly schedule: string;
  readonly full: boolean;
  readonly runOnStart: boolean;
  readonly departments: ReadonlyArray<'police' | 'market' | 'civil' | 'housing'> | null;
}

export interface JobsConfig {
  readonly timezone: string;
  readonly jobs: readonly JobSpec[];
  readonly batchSize: number;
  readonly leaseSeconds: number;
  readonly deadlineHours: Readonly<Record<1 | 2 | 3, number>>;
  readonly rules: Readonly<Record<RuleName, RuleSetting>>;
  readonly params: RuleParams;
}

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Validates a parsed jobs file; `key` prefixes the config path in errors. */
export function compileJobs(raw: unknown, key = 'jobs'): JobsConfig {
  const parsed = jobsSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError([key, ...issue.path].join('.'), issue.message);
  }
  const j = parsed.data;
  if (!validTimezone(j.timezone)) throw new ConfigError(`${key}.timezone`, `unknown time zone ${j.timezone}`);
  const r = j.reconciliation.rules;
  const rules = Object.fromEntries(
    RULE_NAMES.map((n) => [n, { enabled: r[n].enabled, severity: r[n].severity }]),
  ) as Record<RuleName, RuleSetting>;
  return {
    timezone: j.timezone,
    jobs: Object.entries(j.jobs).map(([name, spec]) => ({
      name,
      schedule: spec.schedule,
      full: spec.full,
      runOnStart: spec.runOnStart,
      departments: spec.departments ?? null,
    })),
    batchSize: j.reconciliation.batchSize,
    leaseSeconds: j.reconciliation.leaseSeconds,
    deadlineHours: j.reconciliation.deadlineHours,
    rules,
    params: {
      staleAfterDays: r.STALE_REGISTRATION.staleAfterDays,
      registeredCapitalAbove: r.WELFARE_WITH_BUSINESS.registeredCapitalAbove,
      maxResidentsPerSquareMetre: r.OVERCROWDED_HOUSE.maxResidentsPerSquareMetre,
    },
  };
}

export function loadJobs(loaded: LoadedConfig): JobsConfig {
  return compileJobs(readYaml(loaded, loaded.config.jobs, 'jobs'));
}
