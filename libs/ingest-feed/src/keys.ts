// The Redis keys of the ingest feed: one definition for the ingest that writes them and the API
// (feed reader and statistics cache) that reads them. Pure, so the cache's key module stays light.

/** Where one data source (one replication slot) keeps its feed in a Redis that may be shared. */
export function feedKeys(scope: string): { versions: string; status: string; channel: string } {
  return {
    // The statistics cache's versions hash (cache-key.ts): the cache reads it on every lookup.
    versions: `depanneteliman:stats:${scope}:versions`,
    status: `depanneteliman:ingest:${scope}:status`,
    channel: `depanneteliman:ingest:${scope}:applied`,
  };
}
