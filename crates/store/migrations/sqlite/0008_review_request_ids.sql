-- An applicant's request for human review carries the client's request id (idempotency key): the same request
-- sent twice is recorded once. Requests recorded before this migration have none.
ALTER TABLE review_requests ADD COLUMN request_id TEXT CHECK (request_id IS NULL OR request_id <> '');
CREATE UNIQUE INDEX review_requests_by_request_id ON review_requests (request_id) WHERE request_id IS NOT NULL;
