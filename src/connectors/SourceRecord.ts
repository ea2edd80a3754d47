import type { RecordKind } from '../config/mappingSchema';
import type { Department } from '../config/types';

export type MappedValue = string | number | null | MappedList;
export type MappedList = ReadonlyArray<Readonly<Record<string, string | number | null>>>;

/** A value that failed mapping: the record is kept, the field is null, and this says why. */
export interface MappingIssue {
  readonly field: string;
  readonly column: string;
  readonly rawValue: string;
  readonly problem: string;
}

/** One department row, mapped onto canonical field names. */
export interface SourceRecord {
  readonly department: Department;
  readonly recordType: string;
  readonly kind: RecordKind;
  readonly sourceId: string;
  /** ISO timestamp of the source's change watermark. */
  readonly updatedAt: string | null;
  readonly values: Readonly<Record<string, MappedValue>>;
  readonly issues: readonly MappingIssue[];
}
