/**
 * How `zhiwang reconcile` shows a run: in a terminal, a progress bar per stage (each department's
 * record types, then the rules); otherwise one JSON object per line, for logs and scripts.
 */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { RULE_NAMES } from '../reconcile/rules';
import type { RunEvent } from '../reconcile/run';

export interface RunReporter {
  onEvent(e: RunEvent): void;
  stop(): void;
}

export function jsonLinesReporter(
  write: (line: string) => void = (l) => process.stdout.write(l),
): RunReporter {
  return {
    onEvent: (e) => write(`${JSON.stringify({ at: new Date().toISOString(), ...e })}\n`),
    stop: () => undefined,
  };
}

export function progressBarReporter(stream: NodeJS.WriteStream = process.stderr): RunReporter {
  const bars = new MultiBar(
    {
      stream,
      format: ' {stage} |{bar}| {value}/{total} {note}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
    },
    Presets.shades_classic,
  );
  const sync = new Map<string, SingleBar>();
  let rules: SingleBar | null = null;
  let rulesDone = 0;
  return {
    onEvent: (e) => {
      if (e.type === 'sync') {
        const key = `${e.department}.${e.recordType}`;
        let bar = sync.get(key);
        if (!bar) {
          bar = bars.create(Math.max(1, e.total), 0, { stage: `sync ${key}`.padEnd(36), note: '' });
          sync.set(key, bar);
        }
        bar.setTotal(Math.max(1, e.total));
        bar.update(e.total === 0 ? 1 : e.done, { note: e.total === 0 ? 'no changes' : '' });
      } else if (e.type === 'rule') {
        rules ??= bars.create(RULE_NAMES.length, 0, { stage: 'rules'.padEnd(36), note: '' });
        rulesDone++;
        rules.update(rulesDone, {
          note: `${e.rule}: ${e.outcome.skipped ? `skipped (${e.outcome.skipped})` : `${e.outcome.detected} found`}`,
        });
      }
    },
    stop: () => bars.stop(),
  };
}
