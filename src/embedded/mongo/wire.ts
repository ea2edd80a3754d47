import { BSON } from 'bson';
import type { Document } from 'bson';

/** Wire protocol opcodes (https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/). */
export const OpCode = { Reply: 1, Query: 2004, Compressed: 2012, Msg: 2013 } as const;

export const MAX_MESSAGE_SIZE = 48_000_000;
const HEADER_SIZE = 16;
const MSG_CHECKSUM_PRESENT = 1 << 0;
const MSG_MORE_TO_COME = 1 << 1;
/** OP_MSG flag bits 0-15 must be understood by the receiver; these are the ones this server knows. */
const MSG_KNOWN_REQUIRED_BITS = MSG_CHECKSUM_PRESENT | MSG_MORE_TO_COME;
const REPLY_QUERY_FAILURE = 1 << 1;

export interface MessageHeader {
  readonly length: number;
  readonly requestId: number;
  readonly responseTo: number;
  readonly opCode: number;
}

/** A command to run, from OP_MSG or from a legacy OP_QUERY on `<db>.$cmd`. */
export interface CommandRequest {
  readonly type: 'command';
  readonly header: MessageHeader;
  /** OP_QUERY requests are answered with OP_REPLY, OP_MSG with OP_MSG. */
  readonly legacy: boolean;
  readonly db: string;
  readonly command: Document;
  /** The client expects no reply (unacknowledged writes). */
  readonly moreToCome: boolean;
}

/** A well-framed message this server will not execute; it is answered with an error. */
export interface RejectedRequest {
  readonly type: 'rejected';
  readonly header: MessageHeader;
  readonly legacy: boolean;
  readonly reason: string;
}

export type Request = CommandRequest | RejectedRequest;

/** The byte stream cannot be interpreted; the only safe reaction is to drop the connection. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Reassembles wire messages from TCP chunks, which may split a message or carry several. */
export class MessageFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds a chunk and returns the messages it completed, in order. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const messages: Buffer[] = [];
    while (this.buffered >= 4) {
      const length = this.peekLength();
      if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE)
        throw new ProtocolError(`invalid message length ${length}`);
      if (this.buffered < length) break;
      messages.push(this.take(length));
    }
    return messages;
  }

  private peekLength(): number {
    if ((this.chunks[0] as Buffer).length < 4) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return (this.chunks[0] as Buffer).readInt32LE(0);
  }

  /** Concatenates only once a whole message is buffered, so large messages are not copied per chunk. */
  private take(length: number): Buffer {
    const all =
      this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.buffered);
    const rest = all.subarray(length);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return all.subarray(0, length);
  }
}

export function readHeader(message: Buffer): MessageHeader {
  return {
    length: message.readInt32LE(0),
    requestId: message.readInt32LE(4),
    responseTo: message.readInt32LE(8),
    opCode: message.readInt32LE(12),
  };
}

/**
 * Decodes one framed message. Throws ProtocolError for opcodes no current driver sends (the legacy
 * CRUD opcodes were removed in MongoDB 6.0, whose server also closes the connection for them).
 */
export function parseRequest(message: Buffer): Request {
  const header = readHeader(message);
  switch (header.opCode) {
    case OpCode.Msg:
      return parseMsg(message, header);
    case OpCode.Query:
      return parseQuery(message, header);
    case OpCode.Compressed: {
      // Compression is never advertised in hello, so a conforming client does not send this.
      const original = message.length >= 20 ? message.readInt32LE(16) : 0;
      return {
        type: 'rejected',
        header,
        legacy: original === OpCode.Query,
        reason: 'OP_COMPRESSED is not supported: this server negotiates no compressors',
      };
    }
    default:
      throw new ProtocolError(`unsupported opcode ${header.opCode}`);
  }
}

function parseMsg(message: Buffer, header: MessageHeader): Request {
  const flags = message.readUInt32LE(16);
  if ((flags & 0xffff & ~MSG_KNOWN_REQUIRED_BITS) !== 0) {
    throw new ProtocolError(`OP_MSG has unknown required flag bits ${flags.toString(16)}`);
  }
  const end = message.length - (flags & MSG_CHECKSUM_PRESENT ? 4 : 0);
  let body: Document | undefined;
  const sequences: Array<[string, Document[]]> = [];
  let offset = 20;
  while (offset < end) {
    const kind = message[offset];
    const size = message.readInt32LE(offset + 1);
    if (kind === 0) {
      if (body) throw new ProtocolError('OP_MSG has more than one body section');
      body = BSON.deserialize(message.subarray(offset + 1, offset + 1 + size));
      offset += 1 + size;
    } else if (kind === 1) {
      const sectionEnd = offset + 1 + size;
      const nameEnd = message.indexOf(0, offset + 5);
      if (nameEnd < 0 || nameEnd >= sectionEnd) throw new ProtocolError('malformed OP_MSG document sequence');
      const docs: Document[] = [];
      for (let at = nameEnd + 1; at < sectionEnd;) {
        const docSize = message.readInt32LE(at);
        docs.push(BSON.deserialize(message.subarray(at, at + docSize)));
        at += docSize;
      }
      sequences.push([message.toString('utf8', offset + 5, nameEnd), docs]);
      offset = sectionEnd;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${String(kind)}`);
    }
  }
  if (!body) throw new ProtocolError('OP_MSG has no body section');
  // Document sequences (the driver uses them for insert documents, update and delete statements) are
  // equivalent to array fields of the body.
  for (const [name, docs] of sequences) body[name] = docs;
  const moreToCome = (flags & MSG_MORE_TO_COME) !== 0;
  if (typeof body.$db !== 'string') {
    return { type: 'rejected', header, legacy: false, reason: 'OP_MSG command has no $db field' };
  }
  return { type: 'command', header, legacy: false, db: body.$db, command: body, moreToCome };
}

function parseQuery(message: Buffer, header: MessageHeader): Request {
  const nameEnd = message.indexOf(0, 20);
  if (nameEnd < 0) throw new ProtocolError('malformed OP_QUERY collection name');
  const fullName = message.toString('utf8', 20, nameEnd);
  const queryStart = nameEnd + 1 + 8; // numberToSkip, numberToReturn
  const size = message.readInt32LE(queryStart);
  const query = BSON.deserialize(message.subarray(queryStart, queryStart + size));
  if (!fullName.endsWith('.$cmd')) {
    return { type: 'rejected', header, legacy: true, reason: 'OP_QUERY is only supported for commands' };
  }
  // Old drivers wrap the command as {$query: {...}, $readPreference: ...}.
  const command =
    query.$query !== undefined && typeof query.$query === 'object' ? (query.$query as Document) : query;
  return {
    type: 'command',
    header,
    legacy: true,
    db: fullName.slice(0, -'.$cmd'.length),
    command,
    moreToCome: false,
  };
}

function withHeader(requestId: number, responseTo: number, opCode: number, payload: Buffer[]): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  const length = HEADER_SIZE + payload.reduce((n, part) => n + part.length, 0);
  header.writeInt32LE(length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, ...payload], length);
}

/** A Buffer view of BSON output without copying it. */
function bsonBytes(doc: Document): Buffer {
  const bytes = BSON.serialize(doc, { ignoreUndefined: true });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** An OP_MSG reply with a single body section. */
export function encodeMsg(requestId: number, responseTo: number, doc: Document): Buffer {
  const flagsAndKind = Buffer.alloc(5); // flags 0, section kind 0
  const body = bsonBytes(doc);
  return withHeader(requestId, responseTo, OpCode.Msg, [flagsAndKind, body]);
}

/** An OP_REPLY carrying one document, the answer to a legacy OP_QUERY. */
export function encodeReply(
  requestId: number,
  responseTo: number,
  doc: Document,
  queryFailure = false,
): Buffer {
  const fields = Buffer.alloc(20); // responseFlags, cursorID (int64), startingFrom, numberReturned
  fields.writeInt32LE(queryFailure ? REPLY_QUERY_FAILURE : 0, 0);
  fields.writeInt32LE(1, 16);
  const body = bsonBytes(doc);
  return withHeader(requestId, responseTo, OpCode.Reply, [fields, body]);
}
