/**
 * Renders one grid's picture into department rows, market documents and ground truth. This is
 * where each department's clerical habits come in: free-text addresses in many forms, house codes
 * missing or pointing at the wrong house, ID numbers in legacy or lowercase form, names typed
 * differently, the odd malformed value. Every such deviation is recorded in truth_problem, and
 * every reference a record makes is recorded in truth_reference with its TRUE key.
 */
import type { Department, ProblemKind, RecordType } from '../config/types';
import { toLegacyIdNumber } from '../resolution/identifiers';
import { randomAddressVariant } from './addressVariants';
import type { SeedContext } from './context';
import { withBadIdCheck } from './context';
import { dayFromParts, isoDate, partsOf, timestampDate, timestampText, yearMonth, ymd } from './dates';
import { DISTRICT_CODE, DISTRICT_NAME } from './geography';
import type { GridWorld } from './gridBuilder';
import type { House, Lease, MarketEntity, Note, Party, Person, PersonRef, Registration } from './model';
import { nameVariant } from './names';
import type { Rng } from './random';
import type { Sink } from './sink';

interface Found {
  readonly kind: ProblemKind;
  readonly entityType: 'PERSON' | 'HOUSE' | 'LEGAL_ENTITY';
  readonly entityKey: string;
  readonly detail: Record<string, unknown>;
}

/** Per-grid minimums, so that even the small test scale carries every kind several times. */
const MINIMUMS: Readonly<Record<string, number>> = {
  ID_LEGACY_15: 1,
  ID_LOWERCASE_X: 1,
  ID_BAD_CHECK: 1,
  IDENTITY_MISMATCH: 1,
  'IDENTITY_MISMATCH:csrq': 1,
  HOUSE_CODE_MISSING: 1,
  HOUSE_CODE_STALE: 1,
  HOUSE_CODE_WRONG: 1,
  HOUSE_CODE_UNKNOWN: 1,
};

/** Rates differ by department: civil affairs and housing keep older data than the police. */
const ID_RATES: Readonly<Record<Department, { legacy: number; lower: number; bad: number }>> = {
  police: { legacy: 0.01, lower: 0.1, bad: 0.0005 },
  housing: { legacy: 0.02, lower: 0.25, bad: 0.002 },
  civil: { legacy: 0.04, lower: 0.25, bad: 0.002 },
  market: { legacy: 0.01, lower: 0.2, bad: 0.002 },
};

interface CodeRates {
  readonly missing: number;
  readonly stale: number;
  readonly wrong: number;
  readonly unknown: number;
}

const CZRK_CODE: CodeRates = { missing: 0.4, stale: 0.3, wrong: 0.015, unknown: 0.01 };
const LDRK_CODE: CodeRates = { missing: 0.08, stale: 0.35, wrong: 0.02, unknown: 0.01 };
const LEASE_CODE: CodeRates = { missing: 0.05, stale: 0.3, wrong: 0.02, unknown: 0.02 };
/** Rental filing began recording house codes in 2016: older contracts have none. */
const LEASE_CODES_FROM = dayFromParts(2016, 1, 1);

const BAD_VALUE_FIELDS = ['csrq', 'xbdm', 'qsny', 'REGSTATE'] as const;

export class GridRenderer {
  private readonly counts = new Map<string, number>();
  private readonly skips = new Map<string, number>();
  private readonly today: number;
  private readonly buildings = new Map<string, House[]>();
  /** This grid's one malformed value goes into this field. */
  private readonly badValueField: (typeof BAD_VALUE_FIELDS)[number];
  private readonly pending: Found[] = [];

  constructor(
    private readonly world: GridWorld,
    ctx: SeedContext,
    private readonly rng: Rng,
    private readonly sink: Sink,
  ) {
    this.today = ctx.today;
    // Rotate over the fields this grid has records for (a small grid may have no allowance).
    const available = BAD_VALUE_FIELDS.filter(
      (f) =>
        (f !== 'qsny' || world.subsistence.length > 0) &&
        (f !== 'REGSTATE' || world.entities.some((e) => e.regstate !== '1')),
    );
    this.badValueField = available[world.grid.ordinal % available.length]!;
    for (const h of world.houses) {
      const key = h.code.slice(0, 19);
      const list = this.buildings.get(key);
      if (list) list.push(h);
      else this.buildings.set(key, [h]);
    }
  }

  render(): void {
    const g = this.world.grid;
    this.sink.row('grid', [
      g.code,
      g.name,
      g.community.code,
      g.community.name,
      g.street.code,
      g.street.name,
      DISTRICT_CODE,
      DISTRICT_NAME,
    ]);
    for (const h of this.world.houses) this.house(h);
    for (const p of this.world.persons) if (p.registered) this.registeredPerson(p);
    for (const t of this.world.tenancies) {
      for (const r of t.registrations) this.registration(r);
      for (const l of t.leases) if (!l.dropped) this.lease(l);
    }
    for (const l of this.world.businessLeases) this.lease(l);
    this.civil();
    for (const e of this.world.entities) this.marketEntity(e);
    for (const late of this.world.lateNotes) {
      const n = late.note;
      this.sink.problem(
        n.kind,
        late.department,
        late.recordType,
        late.sourceId,
        n.entityType,
        n.entityKey,
        n.detail,
      );
    }
  }

  // ---------------------------------------------------------------- planting helpers

  /** Decides one planting: forced until the grid minimum is met (after a random skip), else by rate. */
  private want(key: string, rate: number): boolean {
    const count = this.counts.get(key) ?? 0;
    let hit = false;
    if (count < (MINIMUMS[key] ?? 0)) {
      const skip = this.skips.get(key) ?? this.rng.int(0, 8);
      if (skip <= 0) hit = true;
      this.skips.set(key, skip - 1);
    }
    if (!hit) hit = this.rng.chance(rate);
    if (hit) this.counts.set(key, count + 1);
    return hit;
  }

  private flush(
    department: Department,
    recordType: RecordType,
    sourceId: string,
    notes: readonly Note[] = [],
  ): void {
    for (const f of this.pending) {
      this.sink.problem(f.kind, department, recordType, sourceId, f.entityType, f.entityKey, f.detail);
    }
    this.pending.length = 0;
    for (const n of notes)
      this.sink.problem(n.kind, department, recordType, sourceId, n.entityType, n.entityKey, n.detail);
  }

  private id(person: PersonRef, department: Department, field: string): string {
    const id = person.id;
    const rates = ID_RATES[department];
    let raw = id;
    let kind: ProblemKind | null = null;
    if (id.startsWith('19', 6) && this.want('ID_LEGACY_15', rates.legacy)) {
      raw = toLegacyIdNumber(id);
      kind = 'ID_LEGACY_15';
    } else if (id.endsWith('X') && this.want('ID_LOWERCASE_X', rates.lower)) {
      raw = `${id.slice(0, 17)}x`;
      kind = 'ID_LOWERCASE_X';
    } else if (this.want('ID_BAD_CHECK', rates.bad)) {
      raw = withBadIdCheck(id, this.rng);
      kind = 'ID_BAD_CHECK';
    }
    if (kind) this.pending.push({ kind, entityType: 'PERSON', entityKey: id, detail: { field, value: raw } });
    return raw;
  }

  /** A name as another department typed it (the police name is the reference). */
  private name(person: PersonRef, field: string): string {
    if (!this.want('IDENTITY_MISMATCH', 0.004)) return person.name;
    const variant = nameVariant(person.name, this.rng);
    if (variant === null || variant === person.name) return person.name;
    this.pending.push({
      kind: 'IDENTITY_MISMATCH',
      entityType: 'PERSON',
      entityKey: person.id,
      detail: { field, value: variant, expected: person.name },
    });
    return variant;
  }

  private address(house: House, field: string, rate: number): string {
    if (!this.rng.chance(rate)) return house.bzdz;
    const v = randomAddressVariant(house.parts, this.rng);
    this.pending.push({
      kind: 'ADDRESS_VARIANT',
      entityType: 'HOUSE',
      entityKey: house.code,
      detail: { field, forms: v.forms, standard: house.bzdz, value: v.text },
    });
    return v.text;
  }

  /** Another existing house, as a slip of the keyboard would give: same building first. */
  private otherHouse(house: House): House {
    const siblings = (this.buildings.get(house.code.slice(0, 19)) ?? []).filter(
      (h) => h !== house && h.inUse,
    );
    if (siblings.length > 0) return this.rng.pick(siblings);
    const all = this.world.houses.filter((h) => h !== house);
    return all.length > 0 ? this.rng.pick(all) : house;
  }

  /** A well-formed code of a floor no building here has (floors 90-99): the base does not know it. */
  private unknownCode(house: House): string {
    return `${house.code.slice(0, 21)}9${this.rng.int(0, 9)}${house.code.slice(23)}`;
  }

  private code(
    house: House,
    field: string,
    rates: CodeRates,
    previous: House | null,
    forceMissing = false,
  ): string | null {
    let claimed: string | null = house.code;
    let kind: ProblemKind | null = null;
    if (forceMissing) {
      claimed = null;
      kind = 'HOUSE_CODE_MISSING';
    } else if (previous !== null && previous !== house && this.want('HOUSE_CODE_STALE', rates.stale)) {
      claimed = previous.code;
      kind = 'HOUSE_CODE_STALE';
    } else if (this.want('HOUSE_CODE_WRONG', rates.wrong)) {
      const other = this.otherHouse(house);
      if (other !== house) {
        claimed = other.code;
        kind = 'HOUSE_CODE_WRONG';
      }
    } else if (this.want('HOUSE_CODE_UNKNOWN', rates.unknown)) {
      claimed = this.unknownCode(house);
      kind = 'HOUSE_CODE_UNKNOWN';
    } else if (this.want('HOUSE_CODE_MISSING', rates.missing)) {
      claimed = null;
      kind = 'HOUSE_CODE_MISSING';
    }
    if (kind) {
      const detail: Record<string, unknown> = { field, claimed, true: house.code };
      if (kind === 'HOUSE_CODE_STALE' && previous) detail.staleHouseInUse = previous.inUse;
      this.pending.push({ kind, entityType: 'HOUSE', entityKey: house.code, detail });
    }
    return claimed;
  }

  /** One malformed value per grid, in the field this grid was given (fields rotate over grids). */
  private badValue(field: (typeof BAD_VALUE_FIELDS)[number]): boolean {
    if (field !== this.badValueField) return false;
    const key = `BAD_VALUE:${field}`;
    if ((this.counts.get(key) ?? 0) >= 1) return false;
    const skip = this.skips.get(key) ?? (field === 'qsny' ? 0 : this.rng.int(0, 3));
    this.skips.set(key, skip - 1);
    if (skip > 0) return false;
    this.counts.set(key, 1);
    return true;
  }

  private timestamp(minDay: number, maxDay = this.today - 1): string {
    const lo = Math.min(minDay, maxDay);
    return timestampText(this.rng.int(lo, maxDay), this.rng.int(28_800, 72_000));
  }

  private refPerson(
    department: Department,
    recordType: RecordType,
    sourceId: string,
    role: 'SUBJECT' | 'OWNER' | 'TENANT' | 'LESSOR' | 'LEGAL_REP' | 'OPERATOR' | 'SHAREHOLDER',
    party: Party,
  ): void {
    if (party.kind === 'person')
      this.sink.ref(department, recordType, sourceId, role, 'PERSON', party.person.id);
    else
      this.sink.ref(
        department,
        recordType,
        sourceId,
        role,
        'LEGAL_ENTITY',
        party.entity.uscc ?? party.entity.regno!,
      );
  }

  // ---------------------------------------------------------------- housing

  private house(h: House): void {
    const p = h.parts;
    let ownerName: string | null = null;
    let ownerId: string | null = null;
    if (h.owner?.kind === 'person') {
      ownerName = this.name(h.owner.person, 'cqrxm');
      ownerId = this.id(h.owner.person, 'housing', 'cqrzjhm');
    } else if (h.owner?.kind === 'entity') {
      ownerName = h.owner.entity.name;
      ownerId = h.owner.entity.uscc;
    }
    this.sink.row('fw_jbxx', [
      h.code,
      p.district,
      p.street,
      p.community,
      p.road,
      `${p.doorNumber}号`,
      p.estate,
      `${p.building}栋`,
      p.unit === null ? null : `${p.unit}单元`,
      String(h.floor),
      p.room,
      h.bzdz,
      h.use,
      h.area.toFixed(2),
      ownerName,
      ownerId,
      h.inUse ? '1' : '0',
      this.timestamp(this.today - 2000),
    ]);
    this.sink.ref('housing', 'house', h.code, 'SUBJECT', 'HOUSE', h.code);
    if (h.owner) this.refPerson('housing', 'house', h.code, 'OWNER', h.owner);
    this.flush('housing', 'house', h.code, h.notes);
  }

  private lease(l: Lease): void {
    const forceMissing = l.startDay < LEASE_CODES_FROM;
    const fwbm = this.code(l.house, 'fwbm', LEASE_CODE, l.tenantPreviousHouse, forceMissing);
    const fwzl = this.address(l.house, 'fwzl', 0.35);
    const lessorName = this.name(l.lessor, 'czrxm');
    const lessorId = this.id(l.lessor, 'housing', 'czrzjhm');
    let tenantName: string;
    let tenantIdType: string;
    let tenantId: string | null;
    if (l.tenant.kind === 'person') {
      tenantName = this.name(l.tenant.person, 'czfxm');
      tenantIdType = '10';
      tenantId = this.id(l.tenant.person, 'housing', 'czfzjhm');
    } else {
      tenantName = l.tenant.entity.name;
      tenantIdType = '20';
      tenantId = l.tenant.entity.uscc;
    }
    this.sink.row('zl_htba', [
      l.htbh,
      fwbm,
      fwzl,
      lessorName,
      lessorId,
      tenantName,
      tenantIdType,
      tenantId,
      isoDate(l.startDay),
      isoDate(l.endDay),
      l.monthlyRent.toFixed(2),
      l.purpose,
      this.timestamp(Math.min(this.today - 1, l.startDay), Math.min(this.today - 1, l.startDay + 20)),
    ]);
    this.sink.ref('housing', 'rental_contract', l.htbh, 'RENTED_HOUSE', 'HOUSE', l.house.code);
    this.refPerson('housing', 'rental_contract', l.htbh, 'TENANT', l.tenant);
    this.sink.ref('housing', 'rental_contract', l.htbh, 'LESSOR', 'PERSON', l.lessor.id);
    this.flush('housing', 'rental_contract', l.htbh, l.notes);
  }

  // ---------------------------------------------------------------- police

  private sexCode(p: PersonRef): string {
    if (this.badValue('xbdm')) {
      const value = this.rng.chance(0.5) ? '0' : 'X';
      this.pending.push({
        kind: 'BAD_VALUE',
        entityType: 'PERSON',
        entityKey: p.id,
        detail: { field: 'xbdm', value },
      });
      return value;
    }
    return String(p.sex);
  }

  private birthDate(p: PersonRef): string {
    const real = ymd(p.birthDay);
    if (this.badValue('csrq')) {
      const year = real.slice(0, 4);
      const value = this.rng.pick([
        `${year}0231`,
        `${year}0230`,
        `${year}1301`,
        `${year}0431`,
        `${year}0000`,
      ]);
      this.pending.push({
        kind: 'BAD_VALUE',
        entityType: 'PERSON',
        entityKey: p.id,
        detail: { field: 'csrq', value },
      });
      return value;
    }
    if (this.want('IDENTITY_MISMATCH:csrq', 0.002)) {
      // A typing slip in the birth date, which the ID number itself contradicts.
      const d = partsOf(p.birthDay);
      const value =
        d.day <= 12 && d.day !== d.month
          ? `${d.year}${String(d.day).padStart(2, '0')}${String(d.month).padStart(2, '0')}`
          : ymd(p.birthDay + this.rng.int(1, 40));
      if (value !== real) {
        this.pending.push({
          kind: 'IDENTITY_MISMATCH',
          entityType: 'PERSON',
          entityKey: p.id,
          detail: { field: 'csrq', value, expected: real },
        });
        return value;
      }
    }
    return real;
  }

  private registeredPerson(p: Person): void {
    const gmsfhm = this.id(p, 'police', 'gmsfhm');
    const xzz = p.home ? this.address(p.home, 'xzz', 0.5) : p.outsideAddress;
    const xzzFwbm = p.home ? this.code(p.home, 'xzz_fwbm', CZRK_CODE, p.previousHouse) : null;
    let gxsjMin = this.today - 1500;
    let gxsjMax = this.today - 1;
    if (p.deathDay !== null && p.ryzt === '1') gxsjMin = p.deathDay + 1;
    if (p.deathDay !== null && p.ryzt === '0') gxsjMax = p.deathDay - 1; // the death never reached this record
    this.sink.row('rk_czrk', [
      gmsfhm,
      p.name,
      this.sexCode(p),
      p.ethnicity,
      this.birthDate(p),
      p.hukouDivision,
      p.hukouAddress,
      xzz,
      xzzFwbm,
      p.phone,
      p.ryzt,
      this.timestamp(Math.min(gxsjMin, gxsjMax), gxsjMax),
    ]);
    this.sink.ref('police', 'registered_person', gmsfhm, 'SUBJECT', 'PERSON', p.id);
    if (p.home) this.sink.ref('police', 'registered_person', gmsfhm, 'CURRENT_HOUSE', 'HOUSE', p.home.code);
    this.flush('police', 'registered_person', gmsfhm, p.notes);
  }

  private registration(r: Registration): void {
    const p = r.person;
    const gmsfhm = this.id(p, 'police', 'gmsfhm');
    const jzdz = this.address(r.house, 'jzdz', 0.45);
    const fwbm = this.code(r.house, 'fwbm', LDRK_CODE, r.previousHouse);
    const last = Math.min(this.today - 1, r.endDay ?? r.startDay);
    this.sink.row('rk_ldrk', [
      r.djbh,
      gmsfhm,
      p.name,
      this.sexCode(p),
      this.birthDate(p),
      p.phone,
      jzdz,
      fwbm,
      r.reason,
      isoDate(r.startDay),
      r.endDay === null ? null : isoDate(r.endDay),
      r.endReason,
      this.timestamp(last, Math.min(this.today - 1, last + 10)),
    ]);
    this.sink.ref('police', 'residence_registration', r.djbh, 'SUBJECT', 'PERSON', p.id);
    this.sink.ref('police', 'residence_registration', r.djbh, 'RESIDENCE', 'HOUSE', r.house.code);
    this.flush('police', 'residence_registration', r.djbh, r.notes);
  }

  // ---------------------------------------------------------------- civil affairs

  private civil(): void {
    for (const s of this.world.subsistence) {
      const sid = String(s.id);
      let qsny = yearMonth(s.startDay);
      if (this.badValue('qsny')) {
        const year = qsny.slice(0, 4);
        const value = this.rng.pick([`${year}13`, `${year}00`, `${year}-${Number(qsny.slice(4)) % 10 || 1}`]);
        this.pending.push({
          kind: 'BAD_VALUE',
          entityType: 'PERSON',
          entityKey: s.person.id,
          detail: { field: 'qsny', value },
        });
        qsny = value;
      }
      this.sink.row('jz_dbdx', [
        s.id,
        this.id(s.person, 'civil', 'sfzh'),
        this.name(s.person, 'xm'),
        s.house ? this.address(s.house, 'jtzz', 0.6) : null,
        s.covered,
        s.amount.toFixed(2),
        qsny,
        s.status,
        this.timestamp(s.startDay),
      ]);
      this.sink.ref('civil', 'subsistence_allowance', sid, 'SUBJECT', 'PERSON', s.person.id);
      if (s.house) this.sink.ref('civil', 'subsistence_allowance', sid, 'ADDRESS', 'HOUSE', s.house.code);
      this.flush('civil', 'subsistence_allowance', sid, s.notes);
    }
    for (const e of this.world.elderly) {
      const sid = String(e.id);
      this.sink.row('yl_gljt', [
        e.id,
        this.id(e.person, 'civil', 'sfzh'),
        this.name(e.person, 'xm'),
        e.house ? this.address(e.house, 'jzdz', 0.6) : null,
        e.amount.toFixed(2),
        e.status,
        this.timestamp(this.today - 700),
      ]);
      this.sink.ref('civil', 'elderly_allowance', sid, 'SUBJECT', 'PERSON', e.person.id);
      if (e.house) this.sink.ref('civil', 'elderly_allowance', sid, 'ADDRESS', 'HOUSE', e.house.code);
      this.flush('civil', 'elderly_allowance', sid, e.notes);
    }
    for (const c of this.world.cremations) {
      const sid = String(c.id);
      this.sink.row('bz_hhjl', [
        c.id,
        this.id(c.person, 'civil', 'sfzh'),
        this.name(c.person, 'xm'),
        isoDate(c.deathDay),
        isoDate(c.cremationDay),
        this.timestamp(c.cremationDay, Math.min(this.today - 1, c.cremationDay + 30)),
      ]);
      this.sink.ref('civil', 'cremation_record', sid, 'SUBJECT', 'PERSON', c.person.id);
      this.flush('civil', 'cremation_record', sid);
    }
    for (const o of this.world.socialOrgs) {
      this.sink.row('shzz_djxx', [
        o.uscc,
        o.name,
        o.type,
        this.name(o.rep, 'fddbr'),
        this.id(o.rep, 'civil', 'fddbrsfzh'),
        this.address(o.house, 'zs', 0.5),
        isoDate(o.foundedDay),
        o.status,
        this.timestamp(o.foundedDay),
      ]);
      this.sink.ref('civil', 'social_organization', o.uscc, 'SUBJECT', 'LEGAL_ENTITY', o.uscc);
      this.sink.ref('civil', 'social_organization', o.uscc, 'LEGAL_REP', 'PERSON', o.rep.id);
      this.sink.ref('civil', 'social_organization', o.uscc, 'REGISTERED_HOUSE', 'HOUSE', o.house.code);
      this.flush('civil', 'social_organization', o.uscc, o.notes);
    }
  }

  // ---------------------------------------------------------------- market

  private marketEntity(e: MarketEntity): void {
    const rng = this.rng;
    const doc: Record<string, unknown> = { _id: e.docId };
    if (e.uscc && !e.regnoOnly) doc.UNISCID = e.uscc;
    // The registration number is kept where known: always on legacy documents, mostly otherwise.
    if (e.regno && (e.regnoOnly || rng.chance(0.8))) doc.REGNO = e.regno;
    doc.ENTNAME = e.name;
    doc.ENTTYPE = e.typeCode;
    doc.ENTTYPE_CN = e.typeLabel;
    doc.LEREP = {
      NAME: this.name(e.rep, 'LEREP.NAME'),
      CERTYPE: '10',
      CERNO: this.id(e.rep, 'market', 'LEREP.CERNO'),
    };
    const dom = e.dom ? this.address(e.dom, 'DOM', 0.4) : e.unmatchedDom;
    doc.DOM = dom;
    if (e.oploc) {
      if (e.oploc === e.dom && rng.chance(0.5)) {
        doc.OPLOC = dom;
        const variant = dom !== e.dom.bzdz;
        if (variant) {
          this.pending.push({
            kind: 'ADDRESS_VARIANT',
            entityType: 'HOUSE',
            entityKey: e.dom.code,
            detail: { field: 'OPLOC', forms: this.lastForms(), standard: e.dom.bzdz, value: dom },
          });
        }
      } else {
        doc.OPLOC = this.address(e.oploc, 'OPLOC', 0.6);
      }
    }
    doc.ESTDATE = timestampDate(e.estDay, 0);
    doc.REGCAP = e.regcap;
    doc.REGCAPCUR = '156';
    doc.OPSCOPE = e.scope;
    let regstate: string = e.regstate;
    // Only on inactive entities: an active one's state feeds the cross-department rules.
    if (e.regstate !== '1' && this.badValue('REGSTATE')) {
      regstate = rng.pick(['7', '9', '0']);
      this.pending.push({
        kind: 'BAD_VALUE',
        entityType: 'LEGAL_ENTITY',
        entityKey: e.uscc ?? e.regno!,
        detail: { field: 'REGSTATE', value: regstate },
      });
    }
    doc.REGSTATE = regstate;
    doc.REGORG = DISTRICT_CODE;
    doc.SHAREHOLDERS = e.shareholders.map((s, index) =>
      s.party.kind === 'person'
        ? {
            INV: this.name(s.party.person, `SHAREHOLDERS.${index}.INV`),
            INVTYPE: '20',
            CERTYPE: '10',
            CERNO: this.id(s.party.person, 'market', `SHAREHOLDERS.${index}.CERNO`),
            SUBCONAM: s.amount,
          }
        : {
            INV: s.party.entity.name,
            INVTYPE: '10',
            CERTYPE: '20',
            CERNO: s.party.entity.uscc,
            SUBCONAM: s.amount,
          },
    );
    doc.CHANGES = e.changes.map((c) => ({
      ALTITEM: c.item,
      ALTBE: c.before,
      ALTAF: c.after,
      ALTDATE: timestampDate(c.day, 0),
    }));
    doc.UPDATED_AT = timestampDate(e.lastUpdateDay, rng.int(28_800, 72_000));
    this.sink.marketDoc(doc);

    const sid = e.docId;
    const subject = e.uscc ?? e.regno!;
    this.sink.ref('market', 'market_entity', sid, 'SUBJECT', 'LEGAL_ENTITY', subject);
    this.sink.ref(
      'market',
      'market_entity',
      sid,
      e.kind === '92' ? 'OPERATOR' : 'LEGAL_REP',
      'PERSON',
      e.rep.id,
    );
    for (const s of e.shareholders) this.refPerson('market', 'market_entity', sid, 'SHAREHOLDER', s.party);
    if (e.dom) this.sink.ref('market', 'market_entity', sid, 'REGISTERED_HOUSE', 'HOUSE', e.dom.code);
    if (e.oploc) this.sink.ref('market', 'market_entity', sid, 'OPERATING_HOUSE', 'HOUSE', e.oploc.code);
    this.flush('market', 'market_entity', sid, e.notes);
  }

  /** The forms of the most recent address variant (reused when OPLOC repeats the DOM text). */
  private lastForms(): unknown {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const f = this.pending[i]!;
      if (f.kind === 'ADDRESS_VARIANT') return f.detail.forms;
    }
    return [];
  }
}
