import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../src/config/loadConfig';

function writeConfig(transform: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'zw-config-'));
  const text = transform(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')).replace(
    /mapping: mappings\//g,
    `mapping: ${join(__dirname, '../../config/mappings')}/`,
  );
  const path = join(dir, 'zhiwang.yaml');
  writeFileSync(path, text);
  return path;
}

describe('config', () => {
  it('loads the shipped config with defaults and environment values', () => {
    const { config } = loadConfig(DEFAULT_CONFIG_PATH, {
      ZHIWANG_PORT: '4100',
      ZHIWANG_POLICE_URL: 'postgres://db/police',
    });
    expect(config.server.port).toBe(4100);
    expect(config.departments.police.url).toBe('postgres://db/police');
    expect(config.departments.housing.url).toBeUndefined();
    expect(config.precedence.PERSON[0]).toBe('police');
  });

  it('names the bad key of an invalid value', () => {
    const path = writeConfig((t) => t.replace('timeoutMs: 5000\n  housing', 'timeoutMs: -1\n  housing'));
    expect(() => loadConfig(path, {})).toThrow(/invalid config at departments\.police\.timeoutMs/);
  });

  it('names an unknown key', () => {
    const path = writeConfig((t) => t.replace('provenance:\n', 'provenanse:\n  x: 1\nprovenance:\n'));
    expect(() => loadConfig(path, {})).toThrow(/invalid config at .*provenanse/);
  });

  it('rejects a precedence list that leaves a department out', () => {
    const path = writeConfig((t) =>
      t.replace('PERSON: [police, civil, housing, market]', 'PERSON: [police, civil]'),
    );
    expect(() => loadConfig(path, {})).toThrow(/invalid config at precedence\.PERSON/);
  });

  it('names a missing mapping file', () => {
    const path = writeConfig((t) => t.replace(/mapping: .*civil\.yaml/, 'mapping: /nonexistent/civil.yaml'));
    expect(() => loadConfig(path, {})).toThrow(/invalid config at departments\.civil\.mapping: cannot read/);
  });
});
