"""The transactional outbox: side effects recorded with the state change, done by a worker."""
