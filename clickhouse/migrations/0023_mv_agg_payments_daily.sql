CREATE MATERIALIZED VIEW IF NOT EXISTS mv_agg_payments_daily TO agg_payments_daily AS
SELECT toDate(created_at, 'UTC') AS day, status, payment_type, method,
       sum(toInt64(sign)) AS payments, sum(toDecimal128(sign, 0) * amount) AS amount
FROM depannage_payment_signed
GROUP BY day, status, payment_type, method
