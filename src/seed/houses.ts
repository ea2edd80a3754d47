/**
 * The houses of one grid: estates (residential complexes, urban villages, office towers,
 * industrial parks) with buildings, units, floors and rooms, each house with its 25-digit code and
 * standard address. Room numbers are unique within a building (units continue the numbering), so
 * an address without the unit still names one house, as it does on the ground in Shenzhen.
 */
import type { AddressParts } from './addressVariants';
import { standardAddress } from './addressVariants';
import type { SeedContext } from './context';
import {
  CITY,
  COMPLEX_SUFFIXES,
  DISTRICT_NAME,
  ESTATE_STEMS,
  INDUSTRIAL_SUFFIXES,
  PROVINCE,
  TOWER_SUFFIXES,
  VILLAGE_NAMES,
} from './geography';
import type { GridSpec } from './layout';
import type { EstateKind, House, HouseUse } from './model';
import type { Rng } from './random';

interface BuildingShape {
  readonly floors: number;
  readonly units: number | null;
  readonly roomsPerUnit: number;
}

function buildingShape(kind: EstateKind, rng: Rng): BuildingShape {
  switch (kind) {
    case 'complex':
      return rng.chance(0.45)
        ? { floors: rng.int(6, 9), units: rng.int(1, 3), roomsPerUnit: rng.int(2, 3) }
        : { floors: rng.int(18, 33), units: rng.int(1, 2), roomsPerUnit: rng.int(3, 4) };
    case 'village':
      return { floors: rng.int(5, 8), units: null, roomsPerUnit: rng.int(2, 6) };
    case 'tower':
      return { floors: rng.int(12, 30), units: null, roomsPerUnit: rng.int(6, 12) };
    case 'industrial':
      return { floors: rng.int(3, 6), units: null, roomsPerUnit: rng.int(2, 4) };
  }
}

function estateKind(first: boolean, rng: Rng): EstateKind {
  const r = rng.float();
  if (first) return r < 0.6 ? 'complex' : 'village';
  if (r < 0.42) return 'complex';
  if (r < 0.72) return 'village';
  if (r < 0.9) return 'tower';
  return 'industrial';
}

function estateName(ctx: SeedContext, kind: EstateKind, rng: Rng): string {
  for (let attempt = 0; ; attempt++) {
    let name: string;
    if (kind === 'village') {
      name =
        attempt < 5
          ? rng.pick(VILLAGE_NAMES)
          : `${rng.pick(ESTATE_STEMS)}${attempt < 40 ? '' : rng.pick(ESTATE_STEMS)}村`;
    } else {
      const stem = attempt < 30 ? rng.pick(ESTATE_STEMS) : rng.pick(ESTATE_STEMS) + rng.pick(ESTATE_STEMS);
      const suffixes =
        kind === 'complex' ? COMPLEX_SUFFIXES : kind === 'tower' ? TOWER_SUFFIXES : INDUSTRIAL_SUFFIXES;
      name = stem + rng.pick(suffixes);
    }
    if (!ctx.estateNames.has(name)) {
      ctx.estateNames.add(name);
      return name;
    }
  }
}

function houseUse(
  kind: EstateKind,
  buildingIndex: number,
  floor: number,
  towerFlats: boolean,
  rng: Rng,
): HouseUse {
  switch (kind) {
    case 'complex':
      // The first building of a complex has shops on the ground floor.
      if (floor === 1 && buildingIndex === 0) return '20';
      if (floor === 1 && rng.chance(0.03)) return '90';
      return '10';
    case 'village':
      if (floor === 1) return rng.chance(0.35) ? '20' : rng.chance(0.05) ? '90' : '10';
      return '10';
    case 'tower':
      if (floor <= 2) return '20';
      return towerFlats ? '10' : '30';
    case 'industrial':
      return floor === 1 || rng.chance(0.7) ? '40' : '30';
  }
}

function houseArea(kind: EstateKind, use: HouseUse, roomsPerUnit: number, rng: Rng): number {
  let area: number;
  switch (use) {
    case '10':
      if (kind === 'village') area = rng.int(1800, 6000) / 100;
      else if (kind === 'tower') area = rng.int(3500, 9000) / 100;
      else area = rng.int(roomsPerUnit <= 2 ? 7000 : 4500, roomsPerUnit <= 2 ? 16000 : 12000) / 100;
      break;
    case '20':
      area = rng.int(2000, 15000) / 100;
      break;
    case '30':
      area = rng.int(6000, 40000) / 100;
      break;
    case '40':
      area = rng.int(20000, 150000) / 100;
      break;
    case '90':
      area = rng.int(1000, 6000) / 100;
      break;
  }
  return area;
}

/** Builds `target` houses for the grid, estate by estate. */
export function buildHouses(ctx: SeedContext, grid: GridSpec, target: number, rng: Rng): House[] {
  const houses: House[] = [];
  let buildingNumber = 0;
  let estateIndex = 0;
  while (houses.length < target) {
    const remaining = target - houses.length;
    const kind = estateKind(estateIndex === 0, rng);
    // An estate takes a share of the grid, so that grids mix estates of several kinds.
    const budget = Math.min(remaining, Math.max(40, Math.round(target * (0.2 + 0.35 * rng.float()))));
    const estate = estateName(ctx, kind, rng);
    const road = rng.pick(grid.community.roads);
    const doorNumber = ctx.nextDoorNumber(road, rng);
    const towerFlats = kind === 'tower' && rng.chance(0.3);
    let built = 0;
    for (let b = 0; built < budget; b++) {
      buildingNumber++;
      const shape = buildingShape(kind, rng);
      const units = shape.units ?? 1;
      const buildingCode = `${grid.code}${String(buildingNumber).padStart(5, '0')}`;
      for (let floor = 1; floor <= shape.floors && built < budget; floor++) {
        for (let u = 1; u <= units && built < budget; u++) {
          for (let r = 1; r <= shape.roomsPerUnit && built < budget; r++) {
            const roomOnFloor = (u - 1) * shape.roomsPerUnit + r;
            const room = String(floor * 100 + roomOnFloor);
            const parts: AddressParts = {
              province: PROVINCE,
              city: CITY,
              district: DISTRICT_NAME,
              street: grid.street.name,
              community: grid.community.name,
              road,
              doorNumber,
              estate,
              building: b + 1,
              unit: shape.units === null ? null : u,
              room,
            };
            const use = houseUse(kind, b, floor, towerFlats, rng);
            const roomCode = `${String(shape.units === null ? 0 : u).padStart(2, '0')}${String(floor).padStart(2, '0')}${String(r).padStart(2, '0')}`;
            houses.push({
              code: buildingCode + roomCode,
              parts,
              bzdz: standardAddress(parts),
              use,
              area: houseArea(kind, use, shape.roomsPerUnit, rng),
              floor,
              estateKind: kind,
              inUse: true,
              owner: null,
              residents: 0,
              businessLease: false,
              reservedNoBusiness: false,
              occupied: false,
              overcrowd: false,
              notes: [],
            });
            built++;
          }
        }
      }
    }
    estateIndex++;
  }
  // Urban-village buildings (or, failing those, old low-rise blocks) get torn down for
  // redevelopment; their houses stay in the base with zt=0. The first grid of every four always has
  // one, so that even the small test scale has demolished houses.
  if (rng.chance(0.6) || grid.ordinal % 4 === 0) {
    const buildingsOf = (kind: EstateKind) => [
      ...new Set(
        houses.filter((h) => h.estateKind === kind && h.use === '10').map((h) => h.code.slice(0, 19)),
      ),
    ];
    const village = buildingsOf('village');
    const candidates = village.length >= 2 ? village : buildingsOf('complex');
    if (candidates.length >= 2) {
      // The smallest building, so that a grid does not lose half its houses.
      const size = (b: string) => houses.filter((h) => h.code.startsWith(b)).length;
      const doomed = candidates.sort((x, y) => size(x) - size(y) || (x < y ? -1 : 1))[0]!;
      for (const h of houses) if (h.code.startsWith(doomed)) h.inUse = false;
    }
  }
  return houses;
}
