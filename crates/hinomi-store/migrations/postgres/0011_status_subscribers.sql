-- Who hears of the status page's updates: webhook subscribers, which responders add
-- (never the public: a webhook that anyone may point anywhere is a server-side request
-- forgery). Each update is queued in the outbox for each subscriber as a
-- `status:webhook` row, in the subscriber's language.

CREATE TABLE status_subscribers (
    id         TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL,
    address    TEXT    NOT NULL,
    language   TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    UNIQUE (kind, address)
);
