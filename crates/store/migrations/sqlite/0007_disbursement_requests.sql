-- A disbursement's request hash: the SHA-256 of the request's canonical form (decision, request id, date), so that
-- the same request id sent again with another date or for another decision is refused instead of answered as done.
-- Disbursements recorded before this migration keep an empty hash and are compared field by field.
ALTER TABLE disbursements ADD COLUMN request_sha256 TEXT NOT NULL DEFAULT '';
