import { Long } from 'bson';
import type { Document } from 'bson';
import type { CursorRegistry } from './cursors';
import { CommandError } from './errors';
import type { Store } from './store';
import { validateCollectionName } from './store';
import { isPlainObject } from './values';

/** What a command handler may use: shared state plus facts about the request. */
export interface CommandContext {
  readonly store: Store;
  readonly cursors: CursorRegistry;
  readonly db: string;
  readonly connectionId: number;
  /** The command name as sent (e.g. `ismaster` vs `hello`, whose replies differ). */
  readonly name: string;
}

export type CommandHandler = (cmd: Document, ctx: CommandContext) => Document;

/** The collection named by the command's first field (`{find: 'people'}`). */
export function collectionArg(cmd: Document, ctx: CommandContext): string {
  const name: unknown = cmd[ctx.name];
  if (typeof name !== 'string') {
    throw new CommandError('InvalidNamespace', `collection name has invalid type ${typeof name}`);
  }
  return validateCollectionName(name);
}

export function optDocument(cmd: Document, key: string): Document | undefined {
  const value: unknown = cmd[key];
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new CommandError('TypeMismatch', `'${key}' must be a document`);
  return value;
}

export function optArray(cmd: Document, key: string): unknown[] | undefined {
  const value: unknown = cmd[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new CommandError('TypeMismatch', `'${key}' must be an array`);
  return value;
}

export function optDocuments(cmd: Document, key: string): Document[] | undefined {
  const value = optArray(cmd, key);
  if (value && !value.every(isPlainObject))
    throw new CommandError('TypeMismatch', `'${key}' must hold documents`);
  return value as Document[] | undefined;
}

export function requireDocuments(cmd: Document, key: string): Document[] {
  const value = optDocuments(cmd, key);
  if (!value) throw new CommandError('FailedToParse', `'${key}' is required`);
  return value;
}

export function optNumber(cmd: Document, key: string): number | undefined {
  const value: unknown = cmd[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (value instanceof Long) return value.toNumber();
  if (typeof value === 'bigint') return Number(value);
  throw new CommandError('TypeMismatch', `'${key}' must be a number`);
}

export function optNonNegative(cmd: Document, key: string): number | undefined {
  const value = optNumber(cmd, key);
  if (value !== undefined && value < 0) throw new CommandError('BadValue', `'${key}' must be non-negative`);
  return value;
}

/** Booleans as mongod reads them: `true`, or any non-zero number (old clients send 1). */
export function flag(cmd: Document, key: string): boolean {
  const value: unknown = cmd[key];
  return value === true || (typeof value === 'number' && value !== 0);
}

/** The `batchSize` inside `cmd.cursor`, where aggregate, listCollections and listIndexes carry it. */
export function cursorBatchSize(cmd: Document): number | undefined {
  return optNonNegative(optDocument(cmd, 'cursor') ?? {}, 'batchSize');
}

/** A write error entry (`writeErrors[i]`) for a failed statement. */
export function writeError(err: unknown, index: number): Document {
  if (err instanceof CommandError) return { index, code: err.code, errmsg: err.message, ...err.extra };
  return { index, code: 1, errmsg: err instanceof Error ? err.message : String(err) };
}

/** Generic fields the driver adds to any command (sessions, concerns, API version); never command options. */
const ENVELOPE_FIELDS = new Set([
  'lsid',
  'txnNumber',
  'autocommit',
  'startTransaction',
  'readConcern',
  'writeConcern',
  'comment',
  'maxTimeMS',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
]);

export function isEnvelopeField(field: string): boolean {
  return field.startsWith('$') || ENVELOPE_FIELDS.has(field);
}
