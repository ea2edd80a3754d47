/**
 * Every conflict rule scored against the demo generator's ground truth on the demo seed (seed 42,
 * demo scale): recall and precision of at least 98% each. One PostgreSQL target is enough for a
 * measurement of the rules (the real server when there is one: it is the faster to seed).
 */
import { loadJobs } from '../../src/reconcile/jobsConfig';
import { ruleQualityTable, scoreRules } from '../../src/reconcile/quality';
import { RULE_NAMES } from '../../src/reconcile/rules';
import { reconcile } from '../../src/reconcile/run';
import { pgTargets } from '../helpers/databases';
import { createTestHub, TEST_TODAY, type TestHub } from '../helpers/testHub';

const target = pgTargets().find((t) => t.label === 'real') ?? pgTargets()[0]!;

describe(`conflict rules on the demo seed (${target.label})`, () => {
  let th: TestHub;

  beforeAll(async () => {
    th = await createTestHub(target, { seed: 42, scale: 'demo' });
    const r = await reconcile({
      hub: th.running.hub.store,
      connectors: th.running.hub.connectors,
      jobs: loadJobs(th.loaded),
      mode: 'FULL',
      trigger: 'test',
      // The generator's "today": what is live and what has lapsed is judged as of that day.
      today: TEST_TODAY,
    });
    if (!('ran' in r) || r.ran.status !== 'SUCCEEDED')
      throw new Error(`the run failed: ${JSON.stringify(r)}`);
  }, 1_200_000);

  afterAll(async () => {
    await th?.close();
  });

  it("finds each rule's planted discrepancies with recall and precision of at least 98%", async () => {
    const rows = await scoreRules(th.running.hub.store);
    process.stdout.write(`${ruleQualityTable(rows)}\n`);
    expect(rows.map((r) => r.rule)).toEqual([...RULE_NAMES]);
    for (const r of rows) {
      expect({ rule: r.rule, planted: r.planted > 0 }).toEqual({ rule: r.rule, planted: true });
      expect({ rule: r.rule, recall: r.recall! >= 0.98 }).toEqual({ rule: r.rule, recall: true });
      expect({ rule: r.rule, precision: r.precision! >= 0.98 }).toEqual({ rule: r.rule, precision: true });
    }
  });

  it('scores what is there: closing five tasks of a rule takes exactly five hits off it', async () => {
    const store = th.running.hub.store;
    const before = (await scoreRules(store)).find((r) => r.rule === 'OVERCROWDED_HOUSE')!;
    await store.pool.query(
      `UPDATE "${store.schema}".discrepancy SET status = 'CLOSED', close_reason = 'test'
        WHERE id IN (SELECT id FROM "${store.schema}".discrepancy
                      WHERE rule = 'OVERCROWDED_HOUSE' AND status <> 'CLOSED' ORDER BY id LIMIT 5)`,
    );
    const after = (await scoreRules(store)).find((r) => r.rule === 'OVERCROWDED_HOUSE')!;
    expect(after.hits).toBe(before.hits - 5);
    expect(after.recall).toBeCloseTo((before.hits - 5) / before.planted, 10);
  });
});
