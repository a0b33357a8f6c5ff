// A random, unthrottled mix of inserts, updates and deletes on the operational database for
// CDC and statistics tests. It drives the demo Simulator (one action per transaction) and adds
// the change shapes a replication consumer most often gets wrong, built from the same actions.
import type pg from 'pg';
import { Simulator } from '../../apps/demo/src/simulator.js';

export interface WorkloadOptions {
  steps: number;
  seed: number;
}

/**
 * Runs `steps` simulator steps with the special cases spread among them. Any failing step
 * throws (the caller's test should fail). Returns counts of what was done: the simulator's
 * per-action counts plus one counter per special case.
 */
export async function runRandomWorkload(pool: pg.Pool, opts: WorkloadOptions): Promise<Record<string, number>> {
  const simulator = new Simulator(pool, { ratePerSecond: 1, seed: opts.seed });
  const actions = simulator.actions;
  const special: Record<string, number> = {};
  const count = (name: string, n = 1): void => {
    special[name] = (special[name] ?? 0) + n;
  };

  const scenarios: Array<() => Promise<void>> = [
    // One request inserted, then updated three times in the same transaction (pending →
    // assigned → in_progress → completed), with its payments inserted alongside.
    async () => {
      await simulator.transaction(async (tx) => {
        const id = await actions.createRequest(tx, { status: 'pending' });
        if ((await actions.assign(tx, id)) === null) return;
        await actions.start(tx, id);
        await actions.complete(tx, id);
        count('request_updated_several_times_in_one_transaction');
      });
    },
    // An existing row updated several times in one transaction.
    async () => {
      await simulator.transaction(async (tx) => {
        const id = await actions.assign(tx);
        if (id === null) return;
        await actions.start(tx, id);
        await actions.complete(tx, id);
        count('existing_request_updated_several_times_in_one_transaction');
      });
    },
    // Rows inserted then deleted in the same transaction: nothing of them may survive downstream.
    async () => {
      await simulator.transaction(async (tx) => {
        const id = await actions.createRequest(tx, { status: 'pending' });
        if ((await actions.assign(tx, id)) !== null) {
          await actions.start(tx, id);
          await actions.complete(tx, id); // adds payments, deleted again below
        }
        await actions.deleteRequest(tx, id);
        count('insert_then_delete_in_one_transaction');
      });
    },
    // A completed request whose final price is NULL (an update, in a later transaction).
    async () => {
      const id = await simulator.transaction(async (tx) => {
        const created = await actions.createRequest(tx, { status: 'pending' });
        return (await actions.assign(tx, created)) === null ? null : actions.start(tx, created);
      });
      if (id === null) return;
      await simulator.transaction((tx) => actions.complete(tx, id, { finalPrice: null }));
      count('null_final_price');
    },
    // Values outside the model choices: unknown specialty, urgency, status, city and payment method.
    async () => {
      await simulator.transaction(async (tx) => {
        await actions.createRequest(tx, { specialty: 'soudure', urgencyLevel: 'critique', status: 'on_hold', city: 'Bougouni' });
        const id = await actions.createRequest(tx, { status: 'pending' });
        if ((await actions.assign(tx, id)) !== null) {
          await actions.start(tx, id);
          await actions.complete(tx, id, { finalPrice: 27_500, paymentMethod: 'wave', forcePayment: true });
        }
        count('unknown_enum_values');
      });
    },
    // One UPDATE statement touching many requests.
    async () => {
      const rows = await simulator.transaction((tx) => actions.validateMissions(tx, 2_000));
      count('multi_row_update_rows', rows);
      count('multi_row_update');
    },
  ];

  // Spread the special cases evenly through the random steps.
  const every = Math.max(1, Math.floor(opts.steps / (scenarios.length + 1)));
  let nextScenario = 0;
  for (let step = 1; step <= opts.steps; step++) {
    await simulator.step();
    if (step % every === 0 && nextScenario < scenarios.length) await scenarios[nextScenario++]!();
  }
  while (nextScenario < scenarios.length) await scenarios[nextScenario++]!();

  const { steps, skipped, failed, ...byAction } = simulator.stats;
  return { steps: steps ?? 0, skipped: skipped ?? 0, failed: failed ?? 0, ...byAction, ...special };
}
