/**
 * The README's role × field group table, printed from the compiled policy (`zhiwang policy`), so the
 * table and the policy cannot drift apart: a test compares the README with this output.
 */
import type { CompiledPolicy, Mode, PolicyGroup, RolePolicy } from './policy';

/** The mode most of a group's fields have, and the fields that differ. */
function cell(role: RolePolicy, group: PolicyGroup, purpose: string): string {
  const modes = role.modes.get(purpose)!;
  const of = (f: string): Mode => modes.get(f) ?? 'DENY';
  const counts = new Map<Mode, number>();
  for (const f of group.fields) counts.set(of(f), (counts.get(of(f)) ?? 0) + 1);
  const main = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  const except = group.fields.filter((f) => of(f) !== main).map((f) => `${f} ${of(f)}`);
  return except.length === 0 ? main : `${main} (${except.join(', ')})`;
}

/** One cell per role and group: the mode, or the modes by purpose where they differ. */
export function groupCell(role: RolePolicy, group: PolicyGroup): string {
  const byPurpose = role.purposes.map((p) => [p, cell(role, group, p)] as const);
  const distinct = new Set(byPurpose.map(([, c]) => c));
  if (distinct.size === 1) return [...distinct][0]!;
  return byPurpose.map(([p, c]) => `${p}: ${c}`).join('<br>');
}

export function policyTable(policy: CompiledPolicy): string {
  const roles = [...policy.roles.values()];
  const lines = [
    `| field group | ${roles.map((r) => `${r.name}<br>${r.label}`).join(' | ')} |`,
    `|---|${roles.map(() => '---').join('|')}|`,
  ];
  for (const g of policy.groups)
    lines.push(`| ${g.name}<br>${g.label} | ${roles.map((r) => groupCell(r, g)).join(' | ')} |`);
  lines.push(
    '',
    `| role | purposes | scope |`,
    `|---|---|---|`,
    ...roles.map(
      (r) =>
        `| ${r.name} | ${r.purposes.map((p) => `${p} ${policy.purposes.get(p)}`).join(', ')} | ${r.scope === 'all' ? 'the whole hub' : "the token's jurisdiction"} |`,
    ),
  );
  return lines.join('\n');
}
