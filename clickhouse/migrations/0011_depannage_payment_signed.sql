-- Signed change log of payments (see depannage_repairrequest_signed).
CREATE TABLE IF NOT EXISTS depannage_payment_signed (
    id Int64,
    created_at DateTime64(6, 'UTC'),
    amount Decimal(18, 2),
    status LowCardinality(String),
    method LowCardinality(String),
    payment_type LowCardinality(String),
    fees Decimal(18, 2),
    processed_at Nullable(DateTime64(6, 'UTC')),
    payer_id Int64,
    recipient_id Int64,
    request_id Int64,
    _version UInt64,
    sign Int8
) ENGINE = CollapsingMergeTree(sign)
ORDER BY (created_at, id)
