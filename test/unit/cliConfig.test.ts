import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';

const ROOT = join(__dirname, '..', '..');

describe('zhiwang start with an invalid config', () => {
  it('exits non-zero before it listens, naming the bad key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zw-cli-'));
    const text = readFileSync(join(ROOT, 'config/zhiwang.yaml'), 'utf8')
      .replace(/mapping: mappings\//g, `mapping: ${join(ROOT, 'config/mappings')}/`)
      .replace('PERSON: [police, civil, housing, market]', 'PERSON: [police, police, housing, market]');
    const path = join(dir, 'zhiwang.yaml');
    writeFileSync(path, text);
    const r = spawnSync(
      join(ROOT, 'node_modules/.bin/tsx'),
      [join(ROOT, 'src/cli/zhiwang.ts'), 'start', '--config', path],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, ZHIWANG_PORT: '0' },
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('invalid config at precedence.PERSON');
    expect(r.stdout).not.toContain('GraphQL ready');
  });
});

describe('zhiwang start on a port in use', () => {
  it('exits 1 at once, naming server.port, before starting or seeding anything', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'src/cli/zhiwang.ts'), 'start'], {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          ZHIWANG_PORT: String(port),
          ZHIWANG_HOST: '127.0.0.1',
          ZHIWANG_DATA_DIR: mkdtempSync(join(tmpdir(), 'zw-port-')),
        },
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`invalid config at server.port: 127.0.0.1:${port} is already in use`);
      expect(r.stdout).not.toContain('starting embedded');
    } finally {
      blocker.close();
    }
  });
});

describe('zhiwang token', () => {
  const token = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(join(ROOT, 'bin/zhiwang'), ['token', ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, ZHIWANG_DEMO_SECRET: '', ...env },
    });

  it('mints an HS256 demo token with the role, jurisdiction, purpose and lifetime asked for', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zw-token-'));
    const r = token(
      [
        '--role',
        'grid_worker',
        '--jurisdiction',
        '44030500100101',
        '--purpose',
        'GRID_VERIFICATION',
        '--ttl',
        '8h',
      ],
      { ZHIWANG_DATA_DIR: dataDir },
    );
    expect(r.stderr).not.toContain('invalid');
    expect(r.status).toBe(0);
    const secret = readFileSync(join(dataDir, 'demo-signing.key'), 'utf8').trim();
    const claims = jwt.verify(r.stdout.trim(), secret, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({
      sub: 'demo-grid_worker',
      dept: 'grid',
      roles: ['grid_worker'],
      jurisdiction: ['44030500100101'],
      purposes: ['GRID_VERIFICATION'],
      iss: 'zhiwang',
      aud: 'zhiwang-hub',
    });
    expect(claims.exp! - claims.iat!).toBe(8 * 3600);
  });

  it.each<[string, string[], Record<string, string>, string]>([
    [
      'a scoped role without a jurisdiction',
      ['--role', 'grid_worker'],
      {},
      'invalid config at --jurisdiction',
    ],
    ['an unknown role', ['--role', 'mayor'], {}, 'invalid config at --role: expected one of police_officer'],
    [
      'a purpose the role may not use',
      ['--role', 'ops', '--purpose', 'AUDIT'],
      {},
      'ops may not act for AUDIT',
    ],
    ['a bad lifetime', ['--role', 'ops', '--ttl', 'forever'], {}, 'invalid config at --ttl'],
    [
      'demo signing off',
      ['--role', 'ops'],
      { ZHIWANG_DEMO_SIGNING: 'false' },
      'invalid config at auth.demoSigning.enabled',
    ],
  ])('refuses %s, naming the option', (_what, args, env, message) => {
    const r = token(args, { ZHIWANG_DATA_DIR: mkdtempSync(join(tmpdir(), 'zw-token-')), ...env });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });
});
