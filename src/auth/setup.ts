/**
 * Authentication and policy as configured: verification keys (PEM files, a JWKS file, the demo HS256
 * secret where enabled), the sharing policy compiled against the schema, and the demo token signer.
 * Every problem is a ConfigError naming its key, raised before the hub listens.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import type { GraphQLSchema } from 'graphql';
import jwt from 'jsonwebtoken';
import { fromConfig, readText, readYaml } from '../config/configFile';
import type { LoadedConfig } from '../config/loadConfig';
import { PG_DEPARTMENTS } from '../config/types';
import { ConfigError } from '../errors';
import { AccessControl } from './access';
import { compilePolicy, type CompiledPolicy, type RolePolicy } from './policy';
import { TokenVerifier, verificationKeys } from './verifyToken';

export interface AuthSetup {
  readonly policy: CompiledPolicy;
  readonly access: AccessControl;
  /** Set where demo signing is enabled. */
  readonly demo: DemoSigner | null;
}

export function loadPolicy(loaded: LoadedConfig, schema: GraphQLSchema): CompiledPolicy {
  return compilePolicy(readYaml(loaded, loaded.config.auth.policy, 'auth.policy'), schema);
}

/** Demo signing is on where config says true, or says auto and every database is embedded. */
export function demoSigningEnabled(loaded: LoadedConfig): boolean {
  const { config } = loaded;
  const setting = config.auth.demoSigning.enabled;
  if (setting !== 'auto') return setting;
  const allEmbedded =
    config.embedded.enabled &&
    !config.store.url &&
    !config.departments.market.url &&
    PG_DEPARTMENTS.every((d) => !config.departments[d].url);
  return allEmbedded;
}

/** The configured demo secret, else the one kept in <dataDir>/demo-signing.key (made on first use). */
export function demoSecret(loaded: LoadedConfig): string {
  const configured = loaded.config.auth.demoSigning.secret;
  if (configured !== undefined) return configured;
  const file = join(resolve(loaded.config.embedded.dataDir), 'demo-signing.key');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

function publicKeys(loaded: LoadedConfig): Record<string, KeyObject> {
  const { auth } = loaded.config;
  const keys: Record<string, KeyObject> = {};
  for (const [kid, file] of Object.entries(auth.publicKeys)) {
    const key = `auth.publicKeys.${kid}`;
    try {
      keys[kid] = createPublicKey(readText(fromConfig(loaded, file), key));
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(key, `not a PEM public key: ${(err as Error).message}`);
    }
  }
  if (auth.jwksFile !== undefined) {
    let jwks: { keys?: Array<JsonWebKey & { kid?: string }> };
    try {
      jwks = JSON.parse(readText(fromConfig(loaded, auth.jwksFile), 'auth.jwksFile')) as typeof jwks;
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError('auth.jwksFile', `not JSON: ${(err as Error).message}`);
    }
    for (const [i, jwk] of (jwks.keys ?? []).entries()) {
      const key = `auth.jwksFile.keys.${i}`;
      if (!jwk.kid) throw new ConfigError(key, 'every JWKS key needs a kid');
      try {
        keys[jwk.kid] = createPublicKey({ key: jwk, format: 'jwk' });
      } catch (err) {
        throw new ConfigError(key, `not a usable public key: ${(err as Error).message}`);
      }
    }
  }
  return keys;
}

/** A digest of the compiled policy's grants, recorded in the audit log when the hub starts. */
export function policyDigest(policy: CompiledPolicy): string {
  const grants = [...policy.roles.values()].map((r) => [
    r.name,
    r.scope,
    [...r.modes].map(([p, m]) => [p, [...m].sort()]),
  ]);
  return createHash('sha256').update(JSON.stringify(grants)).digest('hex');
}

export function loadAuth(loaded: LoadedConfig, schema: GraphQLSchema): AuthSetup {
  const { auth } = loaded.config;
  const policy = loadPolicy(loaded, schema);
  const keys = publicKeys(loaded);
  const demo = demoSigningEnabled(loaded) ? demoSecret(loaded) : null;
  if (Object.keys(keys).length === 0 && demo === null)
    throw new ConfigError(
      'auth',
      'no way to verify tokens: configure auth.publicKeys or auth.jwksFile, or set auth.demoSigning.enabled',
    );
  const options = { issuer: auth.issuer, audience: auth.audience, clockToleranceSec: auth.clockToleranceSec };
  const verifier = new TokenVerifier(verificationKeys(keys, demo), options);
  return {
    policy,
    access: new AccessControl(policy, verifier, auth.purposeHeader),
    demo: demo === null ? null : new DemoSigner(demo, auth.issuer, auth.audience),
  };
}

/** `8h`, `30m`, `90s`, `2d` → seconds. */
export function parseTtl(text: string): number {
  const m = /^(\d+)\s*([smhd])$/.exec(text.trim());
  if (!m) throw new ConfigError('--ttl', `expected a duration like 8h, 30m or 1d, got ${text}`);
  const n = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  if (n <= 0 || n > 30 * 86_400) throw new ConfigError('--ttl', 'expected a duration between 1s and 30d');
  return n;
}

export interface DemoTokenRequest {
  readonly role: RolePolicy;
  readonly jurisdiction: readonly string[];
  /** Default: every purpose of the role. */
  readonly purposes?: readonly string[];
  readonly ttlSec: number;
  readonly subject?: string;
}

/** Mints HS256 demo tokens with the claims a real identity provider would issue. */
export class DemoSigner {
  constructor(
    private readonly secret: string,
    private readonly issuer: string,
    private readonly audience: string,
  ) {}

  sign(r: DemoTokenRequest): string {
    const purposes = r.purposes ?? r.role.purposes;
    for (const p of purposes)
      if (!r.role.purposes.includes(p))
        throw new ConfigError(
          '--purpose',
          `${r.role.name} may not act for ${p}; it may for ${r.role.purposes.join(', ')}`,
        );
    for (const j of r.jurisdiction)
      if (!/^\d{6,14}$/.test(j))
        throw new ConfigError(
          '--jurisdiction',
          `expected a 6- to 14-digit division, street, community or grid code, got ${j}`,
        );
    return jwt.sign(
      {
        name: `${r.role.label}（演示）`,
        dept: r.role.department,
        roles: [r.role.name],
        jurisdiction: r.jurisdiction,
        purposes,
      },
      this.secret,
      {
        algorithm: 'HS256',
        issuer: this.issuer,
        audience: this.audience,
        subject: r.subject ?? `demo-${r.role.name}`,
        expiresIn: r.ttlSec,
      },
    );
  }
}
