import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
