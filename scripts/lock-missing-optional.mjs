// Adds lockfile entries for optional platform packages that this machine's npm registry mirror does not
// carry (e.g. @unrs/resolver-binding-darwin-x64, a binding jest's resolver declares for every platform).
// npm leaves them out of package-lock.json, and `npm ci` then refuses the lock as out of sync. Each
// added entry names the package's os and cpu, so npm skips it on every other platform without fetching.
//
//   node scripts/lock-missing-optional.mjs    (after `npm install` changes the lock)
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const packages = lock.packages;

/** os/cpu/libc from a binding's platform suffix, e.g. linux-arm64-musl. */
function platform(suffix) {
  const parts = suffix.split('-');
  const os = {
    win32: 'win32',
    darwin: 'darwin',
    linux: 'linux',
    freebsd: 'freebsd',
    android: 'android',
    openharmony: 'openharmony',
  }[parts[0]];
  const cpu = {
    x64: 'x64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: 'ia32',
    loong64: 'loong64',
    ppc64: 'ppc64',
    riscv64: 'riscv64',
    s390x: 's390x',
    wasm32: 'wasm32',
  }[parts[1]];
  const libc = parts.includes('musl')
    ? ['musl']
    : parts.includes('gnu') || parts.includes('gnueabihf')
      ? ['glibc']
      : undefined;
  return { os, cpu, libc };
}

let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    const suffix = name
      .split('/')
      .pop()
      .replace(/^.*?binding-/, '');
    const { os, cpu, libc } = platform(suffix);
    if (!os || !cpu) throw new Error(`cannot tell the platform of ${name} (required by ${path})`);
    packages[key] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      os: [os],
      cpu: [cpu],
      ...(libc ? { libc } : {}),
    };
    added++;
  }
}
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} lock entries for optional platform packages missing from the registry`);
