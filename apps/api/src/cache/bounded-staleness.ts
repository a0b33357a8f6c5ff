// The one rule for clients that accept an answer up to a bound old (Cache-Control: max-stale, or
// STATISTICS_MAX_STALENESS_SECONDS), used by the statistics cache and by real_time_stats: an answer
// within the bound is served at once; from half the bound on, the current one is computed
// meanwhile, so that under constant change such clients keep being answered at once instead of all
// waiting for a computation when the bound runs out.

export type StaleVerdict = 'serve' | 'serve-and-refresh' | 'too-old';

/** What to do with an answer `ageMs` old for a client accepting `maxStaleMs` (0: fresh answers only). */
export function staleVerdict(ageMs: number, maxStaleMs: number): StaleVerdict {
  if (maxStaleMs <= 0 || !(ageMs <= maxStaleMs)) return 'too-old';
  return ageMs >= maxStaleMs / 2 ? 'serve-and-refresh' : 'serve';
}
