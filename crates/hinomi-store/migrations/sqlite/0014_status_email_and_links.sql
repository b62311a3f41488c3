-- Email subscribers of the status page, and the page's links to the internal model.
--
-- An email subscriber asks on the public page and is active only once the link of the
-- confirmation mail was used (`confirmed_at`); until then it expires at `expires_at` and
-- is then deleted by the next subscription. Webhook subscribers, added by responders,
-- are confirmed when added. Every confirmation mail sent is counted in
-- `status_confirmations` (kept a day), which bounds them per address and per hour.
--
-- A status incident may name the internal incident it tells the public about, and a
-- component the service it shows; neither reaches the public pages or JSON.

ALTER TABLE status_subscribers ADD COLUMN confirmed_at INTEGER;
ALTER TABLE status_subscribers ADD COLUMN expires_at INTEGER;
UPDATE status_subscribers SET confirmed_at = created_at;

CREATE TABLE status_confirmations (
    address TEXT    NOT NULL,
    sent_at INTEGER NOT NULL
);
CREATE INDEX status_confirmations_address ON status_confirmations (address, sent_at);
CREATE INDEX status_confirmations_sent ON status_confirmations (sent_at);

ALTER TABLE status_incidents ADD COLUMN incident_id TEXT REFERENCES incidents (id) ON DELETE SET NULL;
CREATE INDEX status_incidents_incident ON status_incidents (incident_id);
ALTER TABLE status_components ADD COLUMN service_id TEXT REFERENCES services (id) ON DELETE SET NULL;
