import type { DepartmentMapping } from '../../config/mappingSchema';
import type { Connector } from '../../connectors/Connector';
import type { MappedValue, SourceRecord } from '../../connectors/SourceRecord';
import type { AddressBase, BaseHouseRow } from './addressBase';
import { AddressBaseBuilder } from './addressBase';

const BATCH = 5000;

const text = (v: MappedValue | undefined): string | null =>
  v === null || v === undefined || typeof v === 'object' ? null : String(v);

/** The record type of kind HOUSE in the housing mapping: the standard address base. */
export function houseRecordType(mapping: DepartmentMapping): string {
  const recordType = Object.entries(mapping.records).find(([, m]) => m.kind === 'HOUSE')?.[0];
  if (recordType === undefined)
    throw new Error(`the ${mapping.department} mapping has no record of kind HOUSE`);
  return recordType;
}

/** A house record as an address-base row, or null without a house code. */
export function baseRowOf(rec: SourceRecord): BaseHouseRow | null {
  const v = rec.values;
  const houseCode = text(v.houseCode);
  if (houseCode === null) return null;
  return {
    houseCode,
    district: text(v.district),
    street: text(v.street),
    community: text(v.community),
    road: text(v.road),
    doorNumber: text(v.doorNumber),
    compound: text(v.compound),
    building: text(v.building),
    unit: text(v.unit),
    floor: text(v.floor),
    room: text(v.room),
    address: text(v.address) ?? '',
    inUse: v.status !== 'DEMOLISHED',
  };
}

/**
 * Streams the housing department's house records into an address base. Throws when housing cannot
 * be read: address matching then waits for the next build.
 */
export async function loadAddressBase(housing: Connector): Promise<AddressBase> {
  const recordType = houseRecordType(housing.mapping);
  const builder = new AddressBaseBuilder();
  for await (const batch of housing.readAll(recordType, BATCH)) {
    for (const rec of batch) {
      const row = baseRowOf(rec);
      if (row !== null) builder.add(row);
    }
  }
  return builder.build();
}
