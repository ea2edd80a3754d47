/**
 * Where rendered rows go. The renderer only knows this interface; the generator connects it to the
 * batched database writers (and tests may connect it to arrays).
 */
import type { Department, EntityType, ProblemKind, RecordType, Role } from '../config/types';
import type { TableName } from './tables';

export interface Sink {
  row(table: TableName, values: readonly unknown[]): void;
  marketDoc(doc: Record<string, unknown>): void;
  ref(
    department: Department,
    recordType: RecordType,
    sourceId: string,
    role: Role,
    entityType: EntityType,
    entityKey: string,
  ): void;
  problem(
    kind: ProblemKind,
    department: Department,
    recordType: RecordType,
    sourceId: string,
    entityType: EntityType,
    entityKey: string,
    detail: Record<string, unknown>,
  ): void;
}
