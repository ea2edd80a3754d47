import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Document } from 'bson';
import { runCommand } from './commands';
import type { ServerState } from './commands';
import { CommandError, errorReply } from './errors';
import { MessageFramer, encodeMsg, encodeReply, parseRequest } from './wire';
import type { Request } from './wire';

/**
 * The TCP side: frames messages per connection, runs each command synchronously and writes the reply.
 * The driver sends one request at a time per connection, and commands never yield, so replies
 * leave in request order and no command observes another half-done.
 */
export class WireServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private nextConnectionId = 1;
  private nextRequestId = 1;

  constructor(
    private readonly state: ServerState,
    private readonly log: (msg: string) => void,
  ) {
    this.server = createServer((socket) => this.accept(socket));
    // After listen() succeeds, errors (e.g. EMFILE on accept) must be reported, not crash the process.
    this.server.on('error', (err) => this.log(`embedded mongo: server error: ${err.message}`));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting and drops every open connection (a client sees a network error and may reconnect elsewhere). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private accept(socket: Socket): void {
    const connectionId = this.nextConnectionId++;
    const framer = new MessageFramer();
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const message of framer.push(chunk)) {
          if (socket.destroyed) return;
          this.handle(socket, connectionId, message);
        }
      } catch (err) {
        // Framing is lost (bad length, undecodable message): nothing after this point can be trusted.
        this.log(`embedded mongo: dropping connection ${connectionId}: ${(err as Error).message}`);
        socket.destroy();
      }
    });
    socket.on('error', (err) => this.log(`embedded mongo: connection ${connectionId}: ${err.message}`));
    socket.on('close', () => this.sockets.delete(socket));
  }

  private handle(socket: Socket, connectionId: number, message: Buffer): void {
    const request = parseRequest(message);
    let reply: Document;
    if (request.type === 'rejected') {
      reply = errorReply(new CommandError('ProtocolError', request.reason));
    } else {
      reply = runCommand(request.command, request.db, this.state, connectionId);
      if (request.moreToCome) return;
    }
    socket.write(this.encode(request, reply));
  }

  private encode(request: Request, reply: Document): Buffer {
    const requestId = this.nextRequestId;
    this.nextRequestId = (this.nextRequestId % 0x7fffffff) + 1;
    const write = (doc: Document): Buffer =>
      request.legacy
        ? encodeReply(requestId, request.header.requestId, doc, doc.ok !== 1)
        : encodeMsg(requestId, request.header.requestId, doc);
    try {
      return write(reply);
    } catch (err) {
      // Typically a reply over the BSON size limit (e.g. a huge distinct); the client gets an error instead.
      return write(
        errorReply(
          new CommandError('BSONObjectTooLarge', `reply could not be encoded: ${(err as Error).message}`),
        ),
      );
    }
  }
}
