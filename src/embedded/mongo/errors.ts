import type { Document } from 'bson';

/**
 * The mongod error codes this server reports. Drivers branch on these numbers (e.g. 11000 for
 * duplicate keys, 43 for a lost cursor), so they must match the real server's.
 */
export const ErrorCode = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  TypeMismatch: 14,
  ProtocolError: 17,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  InvalidIdField: 53,
  CommandNotFound: 59,
  ImmutableField: 66,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  NotImplemented: 238,
  BSONObjectTooLarge: 10334,
  DuplicateKey: 11000,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

/** A failure the client sees as `{ok: 0, errmsg, code, codeName}` (or as a write error). */
export class CommandError extends Error {
  readonly code: number;

  constructor(
    readonly codeName: ErrorCodeName,
    message: string,
    /** Extra reply fields, e.g. `keyPattern`/`keyValue` on duplicate keys. */
    readonly extra: Document = {},
  ) {
    super(message);
    this.name = 'CommandError';
    this.code = ErrorCode[codeName];
  }
}

/** The `{ok: 0}` reply for anything thrown while running a command. */
export function errorReply(err: unknown): Document {
  if (err instanceof CommandError) {
    return { ok: 0, errmsg: err.message, code: err.code, codeName: err.codeName, ...err.extra };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { ok: 0, errmsg: message, code: ErrorCode.InternalError, codeName: 'InternalError' };
}

/**
 * Runs a mingo call, reporting its errors (unknown operators, bad expressions) as BadValue: they are
 * caused by the client's query, not by the server.
 */
export function userQuery<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof CommandError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (message.includes("immutable field '_id'")) throw new CommandError('ImmutableField', message);
    if (message.includes('would create a conflict'))
      throw new CommandError('ConflictingUpdateOperators', message);
    if (message.startsWith('Unknown update operator')) throw new CommandError('FailedToParse', message);
    throw new CommandError('BadValue', message);
  }
}
