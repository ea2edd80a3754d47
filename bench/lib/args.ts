/**
 * Command-line options of a benchmark: `--kebab-case` names for the camelCase keys of `defaults`.
 * A boolean key is a flag (`--skip-demo` sets skipDemo); a number accepts `1_000_000`.
 */
export function parseBenchArgs<T extends Record<string, string | number | boolean | null>>(
  argv: readonly string[],
  defaults: T,
): T {
  const out: Record<string, unknown> = { ...defaults };
  const keys = new Map(
    Object.keys(defaults).map((k) => [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, k]),
  );
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const key = keys.get(a);
    if (key === undefined) throw new Error(`unknown argument ${a}; known: ${[...keys.keys()].join(' ')}`);
    if (typeof defaults[key] === 'boolean') {
      out[key] = true;
      continue;
    }
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    out[key] = typeof defaults[key] === 'number' ? Number(v.replace(/_/g, '')) : v;
  }
  return out as T;
}
