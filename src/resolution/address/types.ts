/** The parts of a Chinese address, as the housing base (fw_jbxx) keeps them. */
export interface AddressComponents {
  province: string | null;
  city: string | null;
  district: string | null;
  street: string | null;
  community: string | null;
  road: string | null;
  /** Digits only, e.g. '18' (from 18号). */
  doorNumber: string | null;
  /** e.g. '海岸花园'. */
  compound: string | null;
  /** Digits/letters only, e.g. '3' (from 3栋, 3幢, 3座, 3号楼, 三栋). */
  building: string | null;
  /** e.g. '2' (from 2单元). */
  unit: string | null;
  /** e.g. '5'; inferred from the room number when not written (502 → 5, 1804 → 18). */
  floor: string | null;
  /** e.g. '502' (from 502, 502室, 502房, 502户, 3-502, 3-2-502). */
  room: string | null;
}

export interface ParsedAddress {
  components: AddressComponents;
  /**
   * Canonical pipe-separated form from district to room, empty for absent levels:
   * `district|street|community|road|doorNumber|compound|building|unit|floor|room`, e.g.
   * `南山区|粤海街道|科技园社区|科技南路|18|海岸花园|3|2|5|502`. Province and city are left out: every
   * address the hub holds is in 广东省深圳市, and records rarely write them.
   */
  normalized: string;
  /** What was dropped as noise, and corrections made, for explanations. */
  notes: string[];
}

/** Known names to correct misspellings against, e.g. distinct jlxmc and xqmc of fw_jbxx. */
export interface AddressVocabulary {
  roads: readonly string[];
  compounds: readonly string[];
  streets?: readonly string[];
  communities?: readonly string[];
}
