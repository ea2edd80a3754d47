import type { Connector } from '../../connectors/Connector';
import type { MappedValue } from '../../connectors/SourceRecord';
import type { AddressBase } from './addressBase';
import { AddressBaseBuilder } from './addressBase';

const BATCH = 5000;

const text = (v: MappedValue | undefined): string | null =>
  v === null || v === undefined || typeof v === 'object' ? null : String(v);

/**
 * Streams the housing department's house records (the record type of kind HOUSE) into an address
 * base. Throws when housing cannot be read: address matching then waits for the next build.
 */
export async function loadAddressBase(housing: Connector): Promise<AddressBase> {
  const recordType = Object.entries(housing.mapping.records).find(([, m]) => m.kind === 'HOUSE')?.[0];
  if (recordType === undefined)
    throw new Error(`the ${housing.department} mapping has no record of kind HOUSE`);
  const builder = new AddressBaseBuilder();
  for await (const batch of housing.scan(recordType, null, BATCH)) {
    for (const rec of batch) {
      const v = rec.values;
      const houseCode = text(v.houseCode);
      if (houseCode === null) continue;
      builder.add({
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
      });
    }
  }
  return builder.build();
}
