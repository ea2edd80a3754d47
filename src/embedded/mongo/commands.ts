import type { Document } from 'bson';
import { adminCommands } from './adminCommands';
import type { CommandHandler } from './commandArgs';
import { crudCommands } from './crudCommands';
import type { CursorRegistry } from './cursors';
import { ddlCommands } from './ddlCommands';
import { CommandError, errorReply } from './errors';
import type { Store } from './store';
import { validateDbName } from './store';

/** A Map, not an object, so names like `constructor` or `__proto__` cannot reach a prototype member. */
const HANDLERS = new Map<string, CommandHandler>(
  Object.entries({ ...adminCommands, ...crudCommands, ...ddlCommands }),
);

export const SUPPORTED_COMMANDS: readonly string[] = [...HANDLERS.keys()];

export interface ServerState {
  readonly store: Store;
  readonly cursors: CursorRegistry;
}

/**
 * Runs one command and returns its reply document. Never throws: every failure becomes an
 * `{ok: 0, errmsg, code, codeName}` reply, so a bad command cannot break the connection.
 */
export function runCommand(
  command: Document,
  db: string,
  state: ServerState,
  connectionId: number,
): Document {
  try {
    const name = Object.keys(command)[0];
    if (name === undefined) throw new CommandError('FailedToParse', 'empty command document');
    const handler = HANDLERS.get(name);
    if (!handler) throw new CommandError('CommandNotFound', `no such command: '${name}'`);
    if (command.startTransaction === true || command.autocommit === false) {
      throw new CommandError(
        'IllegalOperation',
        'Transaction numbers are only allowed on a replica set member or mongos',
      );
    }
    validateDbName(db);
    return handler(command, { ...state, db, connectionId, name });
  } catch (err) {
    return errorReply(err);
  }
}
