-- The alert episodes (`fingerprint@starts_at`) a link between an incident and an alert
-- group has already told its timeline, as a JSON array: each flush of the group tells only
-- what began or ended since.
ALTER TABLE incident_alert_groups ADD COLUMN told TEXT NOT NULL DEFAULT '[]';
