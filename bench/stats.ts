import type { BenchArgs } from './args.js';
import type { Cleanups } from './report.js';
export async function runStatsBench(_args: BenchArgs, _cleanups: Cleanups): Promise<void> {}
