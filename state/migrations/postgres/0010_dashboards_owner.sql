-- A user's dashboards are listed oldest first.
CREATE INDEX dashboards_owner ON dashboards (owner_id, created_at, id)
