import { mkdir, open, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BSON } from 'bson';
import type { Document } from 'bson';
import { Collection } from './collection';
import type { IndexSpec } from './indexes';
import { Store } from './store';

/** Writes are batched: the first change schedules a flush this much later, later changes ride along. */
const FLUSH_DELAY_MS = 200;
const FILE_EXT = '.bson';
const TMP_EXT = '.tmp';
const FORMAT = 'zhiwang-embedded-mongo/1';

/** File-system-safe name that decodes back with decodeURIComponent. */
function encodeName(name: string): string {
  return encodeURIComponent(name).replace(/\*/g, '%2A');
}

/**
 * Keeps a Store on disk: `<dataDir>/<db>/<collection>.bson`, a header document (options, indexes)
 * followed by the documents, concatenated. Each file is rewritten whole, via a temporary file and a
 * rename, so a crash leaves either the old or the new version, never a torn one.
 */
export class Persistence {
  readonly store: Store;
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private loading = false;
  private tmpCounter = 0;

  constructor(
    private readonly dir: string,
    private readonly log: (msg: string) => void,
  ) {
    this.store = new Store((db, name) => this.markDirty(db, name));
  }

  async load(): Promise<void> {
    this.loading = true;
    try {
      await mkdir(this.dir, { recursive: true });
      for (const entry of await readdir(this.dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const dbDir = join(this.dir, entry.name);
        for (const file of await readdir(dbDir)) {
          const path = join(dbDir, file);
          // Leftover of a flush interrupted before its rename; the previous file is intact.
          if (file.endsWith(TMP_EXT)) await rm(path, { force: true });
          else if (file.endsWith(FILE_EXT)) this.store.put(parseCollectionFile(await readFile(path), path));
        }
      }
    } finally {
      this.loading = false;
    }
  }

  /** Writes every changed collection now; resolves once the files are renamed into place. */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.writeDirty());
    this.chain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private markDirty(db: string, name: string): void {
    if (this.loading) return;
    this.dirty.add(JSON.stringify([db, name]));
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((err: unknown) =>
        this.log(`embedded mongo: flush failed: ${(err as Error).message}`),
      );
    }, FLUSH_DELAY_MS);
    this.timer.unref();
  }

  private async writeDirty(): Promise<void> {
    const keys = [...this.dirty];
    this.dirty.clear();
    // Serialise everything before the first await so the files reflect one consistent moment.
    const jobs = keys.map((key) => {
      const [db, name] = JSON.parse(key) as [string, string];
      const coll = this.store.get(db, name);
      return { key, db, name, data: coll ? serializeCollection(coll) : undefined };
    });
    const failures: string[] = [];
    for (const job of jobs) {
      const dbDir = join(this.dir, encodeName(job.db));
      const file = join(dbDir, encodeName(job.name) + FILE_EXT);
      try {
        if (job.data) {
          await mkdir(dbDir, { recursive: true });
          await this.writeAtomically(file, job.data);
        } else {
          await rm(file, { force: true });
          await rmdir(dbDir).catch(() => undefined); // only succeeds once the database is empty
        }
      } catch (err) {
        this.dirty.add(job.key); // retried by the next flush
        failures.push(`${job.db}.${job.name}: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(`could not persist ${failures.join('; ')}`);
  }

  private async writeAtomically(file: string, data: Buffer): Promise<void> {
    const tmp = `${file}.${process.pid}.${++this.tmpCounter}${TMP_EXT}`;
    try {
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}

function serializeCollection(coll: Collection): Buffer {
  const header = {
    format: FORMAT,
    db: coll.db,
    name: coll.name,
    options: coll.options,
    indexes: coll.indexes.filter((index) => index.name !== '_id_').map((index) => index.spec),
  };
  return Buffer.concat([BSON.serialize(header), ...coll.documents().map((doc) => BSON.serialize(doc))]);
}

function parseCollectionFile(data: Buffer, path: string): Collection {
  const docs: Document[] = [];
  for (let offset = 0; offset < data.length;) {
    const size = offset + 4 <= data.length ? data.readInt32LE(offset) : -1;
    if (size < 5 || offset + size > data.length)
      throw new Error(`corrupt collection file ${path} at byte ${offset}`);
    docs.push(BSON.deserialize(data.subarray(offset, offset + size)));
    offset += size;
  }
  const header = docs.shift();
  if (
    !header ||
    header.format !== FORMAT ||
    typeof header.db !== 'string' ||
    typeof header.name !== 'string'
  ) {
    throw new Error(`${path} is not an embedded mongo collection file`);
  }
  const coll = new Collection(header.db, header.name, (header.options ?? {}) as Document);
  for (const spec of (header.indexes ?? []) as IndexSpec[]) coll.createIndex(spec);
  for (const doc of docs) coll.insert(doc);
  return coll;
}
