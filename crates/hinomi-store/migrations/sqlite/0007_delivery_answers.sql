-- What the peer answered to each delivery attempt (its body or the SMTP server's reply,
-- cut to 512 characters), shown in the delivery log beside the status and error.
ALTER TABLE deliveries ADD COLUMN answer TEXT;
