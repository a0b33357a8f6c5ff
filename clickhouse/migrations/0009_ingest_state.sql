-- The ingest's own bookkeeping: snapshot progress and the last applied position. One row per key
-- after FINAL; value is JSON.
CREATE TABLE IF NOT EXISTS _ingest_state (
    key String,
    value String,
    updated_at DateTime64(6, 'UTC')
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY key
