-- Partner users: a console account with the partner role belongs to one partner, and sees only
-- that partner's posters, locations and deliveries in its portal.
ALTER TABLE users ADD COLUMN partner_id TEXT REFERENCES partners (id);
