import { GraphQLError } from 'graphql';
import type { Department } from './config/types';

/**
 * Error codes a client can see. Only errors thrown on purpose carry one of these; anything else is
 * masked as INTERNAL_SERVER_ERROR by the server's error formatter.
 */
export enum ErrorCode {
  BadUserInput = 'BAD_USER_INPUT',
  SourceUnavailable = 'SOURCE_UNAVAILABLE',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  Internal = 'INTERNAL_SERVER_ERROR',
}

export class BadUserInputError extends GraphQLError {
  constructor(argument: string, message: string, expectedFormat?: string) {
    super(expectedFormat ? `${message}. Expected format: ${expectedFormat}` : message, {
      extensions: { code: ErrorCode.BadUserInput, argument, ...(expectedFormat ? { expectedFormat } : {}) },
    });
  }
}

/** No valid bearer token: HTTP 401, and nothing executes. */
export class UnauthenticatedError extends GraphQLError {
  constructor(reason: string) {
    super(`authentication failed: ${reason}`, {
      extensions: { code: ErrorCode.Unauthenticated, http: { status: 401 } },
    });
  }
}

/**
 * The caller may not do or see this: a purpose they may not use (HTTP 403, nothing executes), or a
 * field, entity or row the policy or their jurisdiction keeps from them (null on that path).
 */
export class ForbiddenError extends GraphQLError {
  constructor(message: string, options: { status?: number } = {}) {
    super(message, {
      extensions: {
        code: ErrorCode.Forbidden,
        ...(options.status ? { http: { status: options.status } } : {}),
      },
    });
  }
}

/** A department could not be reached: the fields only it supplies are null, the rest still resolve. */
export class SourceUnavailableError extends GraphQLError {
  constructor(
    readonly department: Department,
    cause: string,
  ) {
    super(`department ${department} is unavailable: ${cause}`, {
      extensions: { code: ErrorCode.SourceUnavailable, department },
    });
  }
}

/** Raised by a connector when its department cannot answer (down, timed out, refused). */
export class DepartmentError extends Error {
  constructor(
    readonly department: Department,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DepartmentError';
  }
}

/** Invalid configuration: the process must exit before it listens, naming the bad key. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`invalid config at ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}
