/** Files that config/zhiwang.yaml names (the sharing policy, the job schedules), read relative to it. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors';
import type { LoadedConfig } from './loadConfig';

export const fromConfig = (loaded: LoadedConfig, file: string): string => resolve(dirname(loaded.path), file);

export function readText(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(key, `cannot read ${path}: ${(err as Error).message}`);
  }
}

/** A YAML file the config names at `key`, parsed; unreadable or invalid YAML is a ConfigError there. */
export function readYaml(loaded: LoadedConfig, file: string, key: string): unknown {
  const path = fromConfig(loaded, file);
  const text = readText(path, key);
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ConfigError(key, `${path} is not valid YAML: ${(err as Error).message}`);
  }
}
