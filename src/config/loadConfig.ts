import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors';
import { configSchema, type ZhiwangConfig } from './configSchema';
import { departmentMappingSchema, type DepartmentMapping } from './mappingSchema';
import { DEPARTMENTS, type Department } from './types';

export interface LoadedConfig {
  readonly config: ZhiwangConfig;
  readonly mappings: Record<Department, DepartmentMapping>;
  readonly path: string;
}

export const DEFAULT_CONFIG_PATH = resolve(__dirname, '../../config/zhiwang.yaml');

/**
 * Replaces `${NAME}` and `${NAME:-default}` in string values with environment variables, so that
 * secrets and real URLs stay out of config files. A variable left unset with no default becomes
 * an empty string, which the schema treats as "not configured".
 */
const PLACEHOLDER = /\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g;

function substituteEnv(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    const replaced = value.replace(PLACEHOLDER, (_m, name: string, def?: string) => env[name] ?? def ?? '');
    // A value that is one placeholder takes the type it reads as (`4000` a number, `true` a boolean).
    const whole = new RegExp(`^${PLACEHOLDER.source}$`).test(value);
    return whole && replaced !== '' ? parseYaml(replaced) : replaced;
  }
  if (Array.isArray(value)) return value.map((v) => substituteEnv(v, env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env)]));
  }
  return value;
}

/** Empty strings mean "unset", so optional URLs can be written as `${VAR}` in the config. */
function dropEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropEmpty);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => [k, dropEmpty(v)]),
    );
  }
  return value;
}

function firstIssue(error: z.ZodError, prefix: string): ConfigError {
  const issue = error.issues[0]!;
  const key = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return new ConfigError(key || '(root)', issue.message);
}

function readYaml(path: string, key: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(key, `cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ConfigError(key, `${path} is not valid YAML: ${(err as Error).message}`);
  }
}

export function parseMapping(raw: unknown, key: string): DepartmentMapping {
  const parsed = departmentMappingSchema.safeParse(raw);
  if (!parsed.success) throw firstIssue(parsed.error, key);
  return parsed.data;
}

/** Loads and validates the config file and every department mapping; throws ConfigError on any problem. */
export function loadConfig(
  path: string = DEFAULT_CONFIG_PATH,
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
  const raw = dropEmpty(substituteEnv(readYaml(path, '(file)'), env));
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw firstIssue(parsed.error, '');
  const config = parsed.data;
  const base = dirname(path);
  const mappings = {} as Record<Department, DepartmentMapping>;
  for (const dept of DEPARTMENTS) {
    const key = `departments.${dept}.mapping`;
    const mapping = parseMapping(readYaml(resolve(base, config.departments[dept].mapping), key), key);
    if (mapping.department !== dept) {
      throw new ConfigError(`${key}.department`, `mapping is for ${mapping.department}, not ${dept}`);
    }
    mappings[dept] = mapping;
  }
  return { config, mappings, path };
}
