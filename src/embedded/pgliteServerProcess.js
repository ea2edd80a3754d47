'use strict';
/**
 * Embedded PostgreSQL server: PGlite behind a socket that speaks the PostgreSQL wire protocol to the
 * unmodified `pg` driver. Run as a child process by src/embedded/pg.ts:
 *
 *   node pgliteServerProcess.js <dataDir|memory://> <port> <host>
 *
 * Why not @electric-sql/pglite-socket's server as it is: it queues every protocol message on its own,
 * so one connection's Parse/Bind/Execute interleave with another's and clobber the single backend's
 * unnamed statement ("bind message supplies 12 parameters, but prepared statement requires 9").
 * Here a connection's messages up to Sync (or a simple Query) run as one group under a lock, and
 * while a transaction is open only the connection that opened it is served, so concurrent clients
 * see a consistent backend. The handshake and message framing follow pglite-socket.
 */
const net = require('node:net');
const { PGlite } = require('@electric-sql/pglite');

const [dataDir = 'memory://', portArg = '0', host = '127.0.0.1'] = process.argv.slice(2);
const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/** Splits complete frontend messages off a buffer: [messages, rest]. */
function splitMessages(buf, started) {
  const out = [];
  let off = 0;
  for (;;) {
    if (!started) {
      if (buf.length - off < 8) break;
      const len = buf.readInt32BE(off);
      if (buf.length - off < len) break;
      out.push({
        type: 'startup',
        code: buf.readInt32BE(off + 4),
        bytes: new Uint8Array(buf.subarray(off, off + len)),
      });
      off += len;
      if (out[out.length - 1].code === PROTOCOL_3) started = true;
      continue;
    }
    if (buf.length - off < 5) break;
    const len = 1 + buf.readInt32BE(off + 1);
    if (buf.length - off < len) break;
    out.push({ type: String.fromCharCode(buf[off]), bytes: buf.subarray(off, off + len) });
    off += len;
  }
  return [out, buf.subarray(off), started];
}

async function main() {
  const db = new PGlite(dataDir === 'memory://' ? undefined : dataDir);
  await db.waitReady;
  /** Groups waiting for the backend: { conn, messages, done }. */
  const queue = [];
  let running = false;
  let txOwner = null;

  async function pump() {
    if (running) return;
    running = true;
    try {
      while (queue.length > 0) {
        // Inside a transaction, or between a Flush and its Sync, only the owner's groups may run.
        let i = 0;
        if (txOwner !== null) {
          i = queue.findIndex((g) => g.conn === txOwner);
          if (i === -1) break;
        }
        const [group] = queue.splice(i, 1);
        try {
          // PGlite takes one protocol message per call; the group stays atomic because this loop
          // is the only consumer of the queue.
          await db.runExclusive(async () => {
            for (const message of group.messages) {
              await db.execProtocolRawStream(message, {
                onRawData: (chunk) => group.conn.write(Buffer.from(chunk)),
              });
            }
          });
        } catch (err) {
          group.conn.destroy(err);
        }
        txOwner = group.holds || db.isInTransaction() ? group.conn : null;
        group.done();
      }
    } finally {
      running = false;
    }
  }

  const server = net.createServer((conn) => {
    conn.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let started = false;
    let pending = [];
    let chain = Promise.resolve();
    const submit = (messages, holds) =>
      new Promise((done) => {
        queue.push({ conn, messages, holds, done });
        void pump();
      });
    conn.on('data', (data) => {
      buf = Buffer.concat([buf, data]);
      const [messages, rest, nowStarted] = splitMessages(buf, started);
      buf = Buffer.from(rest);
      started = nowStarted;
      for (const m of messages) {
        if (m.type === 'startup') {
          if (m.code === SSL_REQUEST) conn.write('N');
          else if (m.code === CANCEL_REQUEST) conn.end();
          else chain = chain.then(() => submit([m.bytes], false));
          continue;
        }
        if (m.type === 'X') {
          conn.end();
          return;
        }
        pending.push(new Uint8Array(m.bytes));
        // A simple Query or a Sync ends a group the backend must see in one piece. A Flush sends what
        // came so far (the client waits for its answer) but keeps the backend until the Sync.
        if (m.type === 'Q' || m.type === 'S' || m.type === 'H') {
          const group = pending;
          pending = [];
          chain = chain.then(() => submit(group, m.type === 'H'));
        }
      }
    });
    const cleanup = () => {
      for (let i = queue.length - 1; i >= 0; i--) if (queue[i].conn === conn) queue.splice(i, 1)[0].done();
      if (txOwner === conn) {
        txOwner = null;
        void db.exec('ROLLBACK').finally(() => void pump());
      }
    };
    conn.on('close', cleanup);
    conn.on('error', () => conn.destroy());
  });
  server.listen(Number(portArg), host, () => {
    process.stdout.write(`listening on ${host}:${server.address().port}\n`);
  });
  const stop = async () => {
    server.close();
    await db.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Started by the hub with an IPC channel: when the hub goes away, so does this server.
  process.on('disconnect', stop);
}

main().catch((err) => {
  process.stderr.write(`embedded Postgres failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
