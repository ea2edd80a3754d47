import type { Document } from 'bson';
import { Collection } from './collection';
import { CommandError } from './errors';

/** Told which collection changed (or disappeared), so persistence can rewrite just that file. */
export type ChangeListener = (db: string, collection: string) => void;

const BAD_DB_NAME_CHARS = /[/\\. "$*<>:|?\0]/;

export function validateDbName(name: unknown): string {
  if (typeof name !== 'string' || name === '' || name.length > 63 || BAD_DB_NAME_CHARS.test(name)) {
    throw new CommandError('InvalidNamespace', `Invalid database name: '${String(name)}'`);
  }
  return name;
}

export function validateCollectionName(name: unknown): string {
  if (
    typeof name !== 'string' ||
    name === '' ||
    name.includes('\0') ||
    name.includes('$') ||
    name.startsWith('.')
  ) {
    throw new CommandError('InvalidNamespace', `Invalid collection name: '${String(name)}'`);
  }
  return name;
}

/** All databases and their collections. Everything runs on the event loop, so no locking is needed. */
export class Store {
  private readonly dbs = new Map<string, Map<string, Collection>>();

  constructor(private readonly onChange: ChangeListener = () => undefined) {}

  /** Databases that hold at least one collection (mongod has no empty databases). */
  databaseNames(): string[] {
    return [...this.dbs].filter(([, colls]) => colls.size > 0).map(([name]) => name);
  }

  collections(db: string): Collection[] {
    return Array.from(this.dbs.get(db)?.values() ?? []);
  }

  get(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  /** The collection, created on first use as mongod does for writes and createIndexes. */
  ensure(db: string, name: string): Collection {
    return this.get(db, name) ?? this.create(db, name);
  }

  create(db: string, name: string, options: Document = {}): Collection {
    validateDbName(db);
    validateCollectionName(name);
    if (this.get(db, name))
      throw new CommandError('NamespaceExists', `Collection ${db}.${name} already exists.`);
    const coll = new Collection(db, name, options);
    this.put(coll);
    return coll;
  }

  /** Installs a collection, replacing any of the same name (loading from disk, `$out`). */
  put(coll: Collection): void {
    let colls = this.dbs.get(coll.db);
    if (!colls) {
      colls = new Map();
      this.dbs.set(coll.db, colls);
    }
    colls.set(coll.name, coll);
    this.changed(coll);
  }

  drop(db: string, name: string): Collection | undefined {
    const coll = this.get(db, name);
    if (!coll) return undefined;
    this.dbs.get(db)?.delete(name);
    this.onChange(db, name);
    return coll;
  }

  dropDatabase(db: string): void {
    for (const coll of this.collections(db)) this.drop(db, coll.name);
    this.dbs.delete(db);
  }

  changed(coll: Collection): void {
    this.onChange(coll.db, coll.name);
  }
}
