-- An owner's personal data can be erased (tenant/owners EraseOwner): the
-- owner's wrapped key and every sealed field are overwritten with empty
-- values, so nothing sealed under the key (the row, the audit rows' sealed
-- copies) opens again, and erased_at records when. The row stays, as the
-- contracts and the owner statements refer to it and keep their figures.
ALTER TABLE owners ADD COLUMN erased_at TEXT;
