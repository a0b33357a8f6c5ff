-- The data_as_of of a completed export's figures (the oldest of its sections'), so that whoever
-- delivers the file (scheduled reports: mail and webhook) can say how fresh it is.
ALTER TABLE export_jobs ADD COLUMN data_as_of text
