import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const BENCHMARKS_MD = join(__dirname, '..', '..', 'docs', 'benchmarks.md');

const HEADER = `# Benchmarks

Figures measured on the development machine (2 cores, 24 GiB, Node 20). Each section is rewritten by
the \`npm run bench:*\` script named in it; rerun the script to refresh it.
`;

/** Replaces (or appends) one `## title` section of docs/benchmarks.md, keeping the others. */
export function writeSection(title: string, body: string): void {
  mkdirSync(dirname(BENCHMARKS_MD), { recursive: true });
  const text = existsSync(BENCHMARKS_MD) ? readFileSync(BENCHMARKS_MD, 'utf8') : HEADER;
  const heading = `## ${title}`;
  const section = `${heading}\n\n${body.trim()}\n`;
  const start = text.indexOf(`${heading}\n`);
  if (start === -1) {
    writeFileSync(BENCHMARKS_MD, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf('\n## ', start + heading.length);
  const rest = next === -1 ? '' : text.slice(next + 1);
  writeFileSync(BENCHMARKS_MD, `${text.slice(0, start)}${section}${rest ? `\n${rest}` : ''}`);
}
