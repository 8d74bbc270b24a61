-- Reports (package tenant/reports): the report engine reads folio lines
-- by the night or day they are for (service_date), not only by the
-- business date they were posted on; this index makes a month's report a
-- range scan instead of a scan of every line of the file.
CREATE INDEX ledger_lines_service_date ON ledger_lines (service_date) WHERE kind IN ('charge', 'allowance');
