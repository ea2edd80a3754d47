import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { compileJobs } from '../../src/reconcile/jobsConfig';
import { RULE_NAMES } from '../../src/reconcile/rules';

type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const shipped = (): Yaml => parseYaml(readFileSync(join(__dirname, '../../config/jobs.yaml'), 'utf8'));

describe('config/jobs.yaml', () => {
  it('compiles the shipped schedules and rule settings', () => {
    const j = compileJobs(shipped());
    expect(j.timezone).toBe('Asia/Shanghai');
    expect(j.jobs.map((x) => x.name)).toEqual(['reconcile', 'reconcile-full']);
    expect(j.jobs.find((x) => x.name === 'reconcile-full')!.full).toBe(true);
    expect(Object.keys(j.rules)).toEqual([...RULE_NAMES]);
    expect(j.rules.DECEASED_BUT_ACTIVE).toEqual({ enabled: true, severity: 1 });
    expect(j.deadlineHours[1]).toBe(24);
    expect(j.params).toEqual({
      staleAfterDays: 30,
      registeredCapitalAbove: 100,
      maxResidentsPerSquareMetre: 0.1667,
    });
  });

  it.each([
    [
      'a bad cron expression',
      (c: Yaml) => (c.jobs.reconcile.schedule = '61 * * * *'),
      'jobs.jobs.reconcile.schedule',
      'not a valid cron expression',
    ],
    ['an unknown task', (c: Yaml) => (c.jobs.reconcile.task = 'backup'), 'jobs.jobs.reconcile.task', ''],
    [
      'an unknown time zone',
      (c: Yaml) => (c.timezone = 'Mars/Olympus'),
      'jobs.timezone',
      'unknown time zone Mars/Olympus',
    ],
    [
      'a severity of 4',
      (c: Yaml) => (c.reconciliation.rules.OVERCROWDED_HOUSE.severity = 4),
      'jobs.reconciliation.rules.OVERCROWDED_HOUSE.severity',
      '',
    ],
    [
      'an unknown rule',
      (c: Yaml) => (c.reconciliation.rules.NO_SUCH_RULE = { severity: 1 }),
      'jobs.reconciliation.rules',
      '',
    ],
    [
      'a missing rule',
      (c: Yaml) => delete c.reconciliation.rules.IDENTITY_CONFLICT,
      'jobs.reconciliation.rules.IDENTITY_CONFLICT',
      '',
    ],
  ])('refuses %s, naming the key', (_what, patch, key, message) => {
    const c = shipped();
    patch(c);
    expect(() => compileJobs(c)).toThrow(`invalid config at ${key}: ${message}`);
  });
});
