import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TokenError, TokenVerifier, verificationKeys } from '../../src/auth/verifyToken';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPublicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const ecPublicPem = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const DEMO_SECRET = 'zhiwang-demo-signing-key-0123456789abcdef';

const NOW = 1_790_000_000;
const options = { issuer: 'zhiwang-demo', audience: 'zhiwang', clockToleranceSec: 30 };
const claims = {
  sub: 'gw-0001',
  name: '网格员张三',
  dept: 'grid',
  roles: ['grid_worker'],
  jurisdiction: ['44030500800204'],
  purposes: ['GRID_VERIFICATION'],
  iss: options.issuer,
  aud: options.audience,
  iat: NOW,
  nbf: NOW - 10,
  exp: NOW + 3600,
};

const asymmetric = () =>
  new TokenVerifier(verificationKeys({ rsa1: rsaPublicPem, ec1: ecPublicPem }, null), options);
const withDemo = () => new TokenVerifier(verificationKeys({ rsa1: rsaPublicPem }, DEMO_SECRET), options);

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('token verification', () => {
  it('accepts RS256 and ES256 tokens and turns the claims into a principal', () => {
    const rs = jwt.sign(claims, rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa1' });
    const es = jwt.sign(claims, ec.privateKey, { algorithm: 'ES256', keyid: 'ec1' });
    for (const t of [rs, es]) {
      expect(asymmetric().verify(t, NOW)).toEqual({
        subject: 'gw-0001',
        displayName: '网格员张三',
        department: 'grid',
        roles: ['grid_worker'],
        jurisdiction: ['44030500800204'],
        purposes: ['GRID_VERIFICATION'],
        expiresAt: NOW + 3600,
      });
    }
  });

  it('accepts HS256 only where the demo secret is configured', () => {
    const hs = jwt.sign(claims, DEMO_SECRET, { algorithm: 'HS256' });
    expect(withDemo().verify(hs, NOW).subject).toBe('gw-0001');
    expect(() => asymmetric().verify(hs, NOW)).toThrow(/HS256 tokens are not accepted/);
  });

  it.each([
    [
      'alg none',
      () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
      /algorithm none is not allowed/,
    ],
    [
      'HS256 signed with the RSA public key as its secret (key confusion)',
      () => {
        const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
        return `${head}.${createHmac('sha256', rsaPublicPem).update(head).digest('base64url')}`;
      },
      /HS256 tokens are not accepted|invalid signature/,
    ],
    [
      'expired',
      () => jwt.sign({ ...claims, exp: NOW - 31 }, rsa.privateKey, { algorithm: 'RS256' }),
      /jwt expired/,
    ],
    [
      'not yet valid',
      () => jwt.sign({ ...claims, nbf: NOW + 31 }, rsa.privateKey, { algorithm: 'RS256' }),
      /jwt not active/,
    ],
    [
      'wrong audience',
      () => jwt.sign({ ...claims, aud: 'elsewhere' }, rsa.privateKey, { algorithm: 'RS256' }),
      /audience invalid/,
    ],
    [
      'wrong issuer',
      () => jwt.sign({ ...claims, iss: 'mallory' }, rsa.privateKey, { algorithm: 'RS256' }),
      /issuer invalid/,
    ],
    [
      'signed by another key',
      () => jwt.sign(claims, other.privateKey, { algorithm: 'RS256' }),
      /invalid signature/,
    ],
    [
      'tampered payload',
      () => {
        const [h, , s] = jwt.sign(claims, rsa.privateKey, { algorithm: 'RS256' }).split('.');
        return `${h}.${b64({ ...claims, jurisdiction: ['440305'] })}.${s}`;
      },
      /invalid signature/,
    ],
    [
      'RS384, not on the allow-list',
      () => jwt.sign(claims, rsa.privateKey, { algorithm: 'RS384' }),
      /RS384 is not allowed/,
    ],
    [
      'missing claims',
      () => jwt.sign({ ...claims, roles: undefined }, rsa.privateKey, { algorithm: 'RS256' }),
      /claim roles/,
    ],
    ['not a token', () => 'hello', /not a JSON web token/],
  ])('refuses %s', (_label, make, reason) => {
    for (const v of [asymmetric(), withDemo()]) {
      let error: unknown;
      try {
        v.verify(make(), NOW);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(TokenError);
      expect((error as Error).message).toMatch(reason);
    }
  });

  it('accepts a token within the clock tolerance of its nbf and exp', () => {
    const v = asymmetric();
    expect(
      v.verify(jwt.sign({ ...claims, nbf: NOW + 20 }, rsa.privateKey, { algorithm: 'RS256' }), NOW).subject,
    ).toBe('gw-0001');
    expect(
      v.verify(jwt.sign({ ...claims, exp: NOW - 20 }, rsa.privateKey, { algorithm: 'RS256' }), NOW).subject,
    ).toBe('gw-0001');
  });

  it('verifies a token once, then serves it from the cache until it expires', () => {
    const v = asymmetric();
    const t = jwt.sign(claims, rsa.privateKey, { algorithm: 'RS256' });
    const first = v.verify(t, NOW);
    expect(v.verify(t, NOW + 60)).toBe(first); // the same object: no second signature check
    expect(() => v.verify(t, NOW + 3600 + 31)).toThrow(/jwt expired/);
  });

  it('refuses an HS256 demo secret shorter than 32 bytes', () => {
    expect(() => verificationKeys({}, 'short')).toThrow(/at least 32 bytes/);
  });
});
