import { GraphQLError } from 'graphql';
import type { Department } from './config/types';

/**
 * Error codes a client can see. Only errors thrown on purpose carry one of these; anything else is
 * masked as INTERNAL_SERVER_ERROR by the server's error formatter.
 */
export enum ErrorCode {
  BadUserInput = 'BAD_USER_INPUT',
  SourceUnavailable = 'SOURCE_UNAVAILABLE',
  Internal = 'INTERNAL_SERVER_ERROR',
}

export class BadUserInputError extends GraphQLError {
  constructor(argument: string, message: string, expectedFormat?: string) {
    super(expectedFormat ? `${message}. Expected format: ${expectedFormat}` : message, {
      extensions: { code: ErrorCode.BadUserInput, argument, ...(expectedFormat ? { expectedFormat } : {}) },
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
