-- owners.read (owner and manager roles) now gates the owners of managed
-- units with their payout IBANs, which reports.read showed before, so the
-- accountant role no longer sees them. API tokens made before it that hold
-- reports.read for an owner or a manager keep reading the owners: they get
-- owners.read too. An accountant's token does not.
UPDATE api_tokens SET scopes = scopes || ' owners.read'
WHERE (' ' || scopes || ' ') LIKE '% reports.read %'
	AND (' ' || scopes || ' ') NOT LIKE '% owners.read %'
	AND user_id IN (SELECT id FROM users WHERE role IN ('owner', 'manager'));
