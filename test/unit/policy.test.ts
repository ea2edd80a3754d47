import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { parse as parseYaml } from 'yaml';
import { compilePolicy, type PolicyFile } from '../../src/auth/policy';
import { loadAuth } from '../../src/auth/setup';
import { loadConfig } from '../../src/config/loadConfig';
import { buildSchema } from '../../src/graphql/schema';

const schema = buildSchema({ permissions: false });
const shipped = (): PolicyFile =>
  parseYaml(readFileSync(join(__dirname, '..', '..', 'config', 'policy.yaml'), 'utf8')) as PolicyFile;

const compileError = (patch: (p: PolicyFile) => void): string => {
  const p = shipped();
  patch(p);
  try {
    compilePolicy(p, schema);
  } catch (err) {
    return (err as Error).message;
  }
  return 'compiled';
};

describe('the sharing policy', () => {
  it('compiles the shipped policy against the schema, with every schema field in one group', () => {
    const policy = compilePolicy(shipped(), schema);
    expect([...policy.roles.keys()]).toEqual([
      'police_officer',
      'market_regulator',
      'civil_affairs_clerk',
      'housing_officer',
      'grid_worker',
      'street_officer',
      'auditor',
      'ops',
    ]);
    const grouped = new Set(policy.groups.flatMap((g) => g.fields));
    const all = Object.values(schema.getTypeMap())
      .filter(
        (t) =>
          !t.name.startsWith('__') &&
          'getFields' in t &&
          !('getValues' in t) &&
          t.astNode?.kind === 'ObjectTypeDefinition',
      )
      .flatMap((t) =>
        Object.keys((t as { getFields(): Record<string, unknown> }).getFields()).map((f) => `${t.name}.${f}`),
      );
    expect(all.filter((f) => !grouped.has(f))).toEqual([]);
  });

  it('denies what it does not grant, and merges several roles to the most permissive mode', () => {
    const policy = compilePolicy(shipped(), schema);
    const auditor = policy.rules(policy.rolesFor(['auditor'], 'AUDIT'), 'AUDIT');
    expect(auditor.get('Person.idNumber')).toBeUndefined();
    expect(auditor.get('PageInfo.hasNextPage')?.mode).toBe('FULL');
    const gw = policy.rules(policy.rolesFor(['grid_worker'], 'RESIDENT_SERVICE'), 'RESIDENT_SERVICE');
    expect(gw.get('Person.phone')?.mode).toBe('MASKED');
    expect(gw.get('Person.phone')?.mask?.('13812345678')).toBe('138****5678');
    // A MASKED group shows its fields without a mask format as they are.
    expect(gw.get('Person.sex')?.mode).toBe('FULL');
    const both = policy.rules(
      policy.rolesFor(['grid_worker', 'police_officer'], 'RESIDENT_SERVICE'),
      'RESIDENT_SERVICE',
    );
    expect(both.get('Person.idNumber')?.mode).toBe('FULL');
    expect(policy.rolesFor(['grid_worker', 'no_such_role'], 'AUDIT')).toEqual([]);
  });

  it.each<[string, (p: PolicyFile) => void, RegExp]>([
    [
      'an unknown type',
      (p) => p.groups.grid!.fields.push('Gridd.name'),
      /policy\.groups\.grid\.fields\.\d+: Gridd\.name: the schema has no object type Gridd/,
    ],
    ['an unknown field', (p) => p.groups.grid!.fields.push('Grid.colour'), /Grid has no field colour/],
    [
      'a field in two groups',
      (p) => p.groups.grid!.fields.push('Person.phone'),
      /Person\.phone is already in group person\.contact/,
    ],
    [
      'an unknown group in a grant',
      (p) => (p.roles.ops!.grants['grids'] = 'FULL'),
      /policy\.roles\.ops\.grants\.grids: grids is neither a group nor a Type\.field/,
    ],
    [
      'an unknown purpose of a role',
      (p) => p.roles.ops!.purposes.push('SPYING'),
      /policy\.roles\.ops\.purposes\.1: unknown purpose SPYING/,
    ],
    [
      'a purpose the role may not use',
      (p) => (p.roles.ops!.grants.grid = { AUDIT: 'FULL' }),
      /purpose AUDIT is not one of the role's purposes/,
    ],
    [
      'an unknown mode',
      (p) => ((p.roles.ops!.grants.grid as unknown) = 'SOMETIMES'),
      /policy\.roles\.ops\.grants\.grid/,
    ],
    [
      'a mask on a number',
      (p) => (p.masks['Person.welfare'] = 'name'),
      /Person\.welfare is not a String field/,
    ],
    [
      'an unknown mask format',
      (p) => ((p.masks['Person.phone'] as unknown) = 'blur'),
      /policy\.masks\.Person\.phone/,
    ],
    [
      'a deniable non-null field',
      (p) => delete p.roles.ops!.grants.paging,
      /policy\.roles\.ops: \w+\.\w+ is non-null in the schema, but ops is denied it for OPERATIONS/,
    ],
  ])('stops startup on %s, naming the key', (_what, patch, message) => {
    expect(compileError(patch)).toMatch(message);
  });

  it('refuses to start with no way to verify tokens', () => {
    const loaded = loadConfig(undefined, { ZHIWANG_DEMO_SIGNING: 'false' });
    expect(() => loadAuth(loaded, schema)).toThrow(/invalid config at auth: no way to verify tokens/);
  });

  it('turns demo signing off in server mode unless it is set explicitly', () => {
    const env = { ZHIWANG_STORE_URL: 'postgres://x@db/hub', ZHIWANG_DEMO_SECRET: 'x'.repeat(40) };
    expect(() => loadAuth(loadConfig(undefined, env), schema)).toThrow(/no way to verify tokens/);
    const on = loadAuth(loadConfig(undefined, { ...env, ZHIWANG_DEMO_SIGNING: 'true' }), schema);
    expect(on.demo).not.toBeNull();
  });

  it('verifies ES256 tokens against a JWKS file, and refuses a JWKS key without a kid', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const dir = mkdtempSync(join(tmpdir(), 'zw-jwks-'));
    const jwk = ec.publicKey.export({ format: 'jwk' });
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...jwk, kid: 'ec1', use: 'sig' }] }));
    const auth = loadAuth(
      loadConfig(undefined, { ZHIWANG_JWKS_FILE: join(dir, 'jwks.json'), ZHIWANG_DEMO_SIGNING: 'false' }),
      schema,
    );
    expect(auth.demo).toBeNull();
    const token = jwt.sign(
      {
        sub: 's1',
        name: '民警',
        dept: 'police',
        roles: ['police_officer'],
        jurisdiction: [],
        purposes: ['CASE_INVESTIGATION'],
      },
      ec.privateKey,
      { algorithm: 'ES256', keyid: 'ec1', issuer: 'zhiwang', audience: 'zhiwang-hub', expiresIn: 60 },
    );
    const headers = new Map([
      ['authorization', `Bearer ${token}`],
      ['x-zhiwang-purpose', 'CASE_INVESTIGATION'],
    ]);
    const access = auth.access.authenticate(headers);
    expect(access.principal.subject).toBe('s1');
    expect(access.roles.map((r) => r.name)).toEqual(['police_officer']);
    expect(access.jurisdiction).toBeNull();

    writeFileSync(join(dir, 'nokid.json'), JSON.stringify({ keys: [jwk] }));
    expect(() =>
      loadAuth(
        loadConfig(undefined, { ZHIWANG_JWKS_FILE: join(dir, 'nokid.json'), ZHIWANG_DEMO_SIGNING: 'false' }),
        schema,
      ),
    ).toThrow(/invalid config at auth\.jwksFile\.keys\.0: every JWKS key needs a kid/);
  });
});
