/**
 * Bearer-token verification with jsonwebtoken: an explicit algorithm allow-list, the key chosen by the
 * token's algorithm (and kid) from keys of the matching kind only, iss/aud/exp/nbf checked with a
 * small clock tolerance, and the result cached by the token's hash until it expires.
 */
import { createHash, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { principalFromClaims, zhiwangClaims, type Principal } from './principal';

export const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256'] as const;
export type TokenAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number] | 'HS256';

export interface VerificationKeys {
  /** Public keys for RS256/ES256, by kid ('' for a key without one). */
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  /** The HS256 secret: set only where config enables symmetric (demo) signing. */
  readonly hs256Secret: KeyObject | null;
}

export interface VerifyOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly clockToleranceSec: number;
}

/** Why a token was refused; the server turns it into HTTP 401 UNAUTHENTICATED. */
export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

/** Keys from PEM texts or key objects (by kid) and an optional HS256 secret. */
export function verificationKeys(
  keys: Readonly<Record<string, string | KeyObject>>,
  hs256Secret: string | null,
): VerificationKeys {
  const publicKeys = new Map<string, KeyObject>();
  for (const [kid, key] of Object.entries(keys))
    publicKeys.set(kid, typeof key === 'string' ? createPublicKey(key) : key);
  if (hs256Secret !== null && Buffer.byteLength(hs256Secret) < 32)
    throw new TokenError('the HS256 secret must be at least 32 bytes');
  return { publicKeys, hs256Secret: hs256Secret === null ? null : createSecretKey(Buffer.from(hs256Secret)) };
}

const KEY_TYPE: Readonly<Record<(typeof ASYMMETRIC_ALGORITHMS)[number], string>> = {
  RS256: 'rsa',
  ES256: 'ec',
};

function keyFor(
  keys: VerificationKeys,
  alg: string,
  kid: string | undefined,
): { key: KeyObject; alg: TokenAlgorithm } {
  if (alg === 'HS256') {
    if (keys.hs256Secret === null) throw new TokenError('HS256 tokens are not accepted here');
    return { key: keys.hs256Secret, alg };
  }
  if (alg !== 'RS256' && alg !== 'ES256') throw new TokenError(`algorithm ${alg} is not allowed`);
  const candidates = kid !== undefined ? [keys.publicKeys.get(kid)] : [...keys.publicKeys.values()];
  const key = candidates.find((k) => k !== undefined && k.asymmetricKeyType === KEY_TYPE[alg]);
  if (key === undefined) throw new TokenError(`no ${alg} key${kid ? ` with kid ${kid}` : ''} is configured`);
  return { key, alg };
}

export class TokenVerifier {
  private readonly cache = new Map<string, Principal>();

  constructor(
    private readonly keys: VerificationKeys,
    private readonly options: VerifyOptions,
    private readonly maxCached = 10_000,
  ) {}

  /** The principal a token names, or TokenError. Verified once per token until it expires. */
  verify(token: string, nowSec = Math.floor(Date.now() / 1000)): Principal {
    const digest = createHash('sha256').update(token).digest('base64url');
    const cached = this.cache.get(digest);
    if (cached !== undefined) {
      if (cached.expiresAt + this.options.clockToleranceSec >= nowSec) return cached;
      this.cache.delete(digest);
    }
    const principal = this.verifyUncached(token, nowSec);
    if (this.cache.size >= this.maxCached) this.cache.clear();
    this.cache.set(digest, principal);
    return principal;
  }

  private verifyUncached(token: string, nowSec: number): Principal {
    const decoded = jwt.decode(token, { complete: true });
    if (decoded === null || typeof decoded.payload === 'string') throw new TokenError('not a JSON web token');
    const { key, alg } = keyFor(this.keys, decoded.header.alg, decoded.header.kid);
    let payload: unknown;
    try {
      payload = jwt.verify(token, key, {
        algorithms: [alg],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSec,
        clockTimestamp: nowSec,
        complete: false,
      });
    } catch (err) {
      throw new TokenError((err as Error).message);
    }
    const claims = zhiwangClaims.safeParse(payload);
    if (!claims.success) {
      const issue = claims.error.issues[0]!;
      throw new TokenError(`claim ${issue.path.join('.') || '(payload)'}: ${issue.message}`);
    }
    return principalFromClaims(claims.data);
  }
}
