-- One row per API process and minute it was up (availability KPI). Replacing: a minute written
-- twice by one process counts once.
CREATE TABLE IF NOT EXISTS api_heartbeats (
    minute DateTime('UTC'),
    instance LowCardinality(String)
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, instance)
TTL minute + INTERVAL 400 DAY
