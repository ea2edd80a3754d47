/**
 * One ready-to-paste demo token per role of the policy, each with a jurisdiction from the hub's own
 * grid registry: the first grid for grid workers, its street for street officers, its district for
 * the roles that read the whole hub (where the claim is informational).
 */
import type { HubStore } from '../store/HubStore';
import type { RolePolicy } from './policy';
import type { AuthSetup } from './setup';

export interface DemoToken {
  readonly role: RolePolicy;
  readonly jurisdiction: readonly string[];
  /** Where the jurisdiction is, as users read it, e.g. 南头街道 / 第一网格. */
  readonly place: string;
  readonly token: string;
}

export async function mintDemoTokens(auth: AuthSetup, store: HubStore, ttlSec: number): Promise<DemoToken[]> {
  if (auth.demo === null) return [];
  const [grid] = await store.listGrids(null, 1, null);
  const tokens: DemoToken[] = [];
  for (const role of auth.policy.roles.values()) {
    let jurisdiction: string[] = [];
    let place = '全区';
    if (grid) {
      if (role.scope === 'all') [jurisdiction, place] = [[grid.districtCode], grid.districtName];
      else if (role.name === 'street_officer') [jurisdiction, place] = [[grid.streetCode], grid.streetName];
      else [jurisdiction, place] = [[grid.gridCode], `${grid.streetName} ${grid.communityName} ${grid.name}`];
    }
    tokens.push({ role, jurisdiction, place, token: auth.demo.sign({ role, jurisdiction, ttlSec }) });
  }
  return tokens;
}

/** `grid_worker` → `ZW_TOKEN_GRID_WORKER`, the shell variable start prints the token into. */
export const tokenVariable = (role: string): string => `ZW_TOKEN_${role.toUpperCase()}`;
