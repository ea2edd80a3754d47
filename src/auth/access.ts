/**
 * From an HTTP request to what its caller may read: the bearer token verified into a principal, the
 * declared purpose checked against the principal and the policy, and the field rules and jurisdiction
 * that follow. Everything that fails here fails the whole request before anything executes.
 */
import { GraphQLError } from 'graphql';
import { ErrorCode, ForbiddenError, UnauthenticatedError } from '../errors';
import type { CompiledPolicy, FieldRules, RolePolicy } from './policy';
import type { Principal } from './principal';
import { TokenError, type TokenVerifier } from './verifyToken';

export interface Access {
  readonly principal: Principal;
  readonly purpose: string;
  /** The principal's roles that the policy knows and that may act for the purpose. */
  readonly roles: readonly RolePolicy[];
  readonly rules: FieldRules;
  /** Code prefixes the caller is confined to; null when one of their roles reads the whole hub. */
  readonly jurisdiction: readonly string[] | null;
}

/** Header lookup as both Apollo's HeaderMap and a plain Map provide it. */
export interface Headers {
  get(name: string): string | undefined;
}

export class AccessControl {
  constructor(
    readonly policy: CompiledPolicy,
    private readonly verifier: TokenVerifier,
    readonly purposeHeader: string,
  ) {}

  /** The access a request's headers carry; throws UNAUTHENTICATED (401), BAD_USER_INPUT (400) or FORBIDDEN (403). */
  authenticate(headers: Headers): Access {
    return this.grant(this.principal(headers), this.purposeOf(headers));
  }

  /** The purpose a request's headers declare. */
  purposeOf(headers: Headers): string | undefined {
    return headers.get(this.purposeHeader.toLowerCase());
  }

  /** The verified principal of a request's bearer token; throws UNAUTHENTICATED (401). */
  principal(headers: Headers): Principal {
    const header = headers.get('authorization');
    if (header === undefined || header.trim() === '')
      throw new UnauthenticatedError('no token; send Authorization: Bearer <JWT>');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new UnauthenticatedError('the Authorization header must be "Bearer <JWT>"');
    let principal: Principal;
    try {
      principal = this.verifier.verify(m[1]!);
    } catch (err) {
      if (err instanceof TokenError) throw new UnauthenticatedError(err.message);
      throw err;
    }
    return principal;
  }

  /** The access a verified principal has for a declared purpose. */
  grant(principal: Principal, purposeValue: string | undefined): Access {
    const expected = `one of ${[...this.policy.purposes.keys()].join(', ')}`;
    const purpose = purposeValue?.trim() ?? '';
    if (purpose === '')
      throw new PurposeError(`declare the request's purpose in the ${this.purposeHeader} header`, expected);
    if (!this.policy.purposes.has(purpose))
      throw new PurposeError(`${purpose} is not a purpose the policy knows`, expected);
    if (!principal.purposes.includes(purpose))
      throw new ForbiddenError(
        `the token does not allow purpose ${purpose}; it allows ${principal.purposes.join(', ')}`,
        { status: 403 },
      );
    const roles = this.policy.rolesFor(principal.roles, purpose);
    if (roles.length === 0)
      throw new ForbiddenError(
        `no role of the token (${principal.roles.join(', ')}) may act for purpose ${purpose}`,
        { status: 403 },
      );
    return {
      principal,
      purpose,
      roles,
      rules: this.policy.rules(roles, purpose),
      jurisdiction: roles.some((r) => r.scope === 'all') ? null : principal.jurisdiction,
    };
  }
}

/** A missing or unknown purpose: the request is malformed (400), naming the header and the purposes. */
export class PurposeError extends GraphQLError {
  constructor(message: string, expectedFormat: string) {
    super(`${message}. Expected format: ${expectedFormat}`, {
      extensions: { code: ErrorCode.BadUserInput, expectedFormat, http: { status: 400 } },
    });
  }
}
