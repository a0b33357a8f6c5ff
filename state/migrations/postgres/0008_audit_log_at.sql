-- The audit log is read newest first, filtered by time.
CREATE INDEX audit_log_at ON audit_log (at, id)
