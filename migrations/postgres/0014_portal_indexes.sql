-- The portal's "to take down" count and list: a partner's withdrawals not yet confirmed, found
-- without walking all of its deliveries. Partial, so posters (most rows) pay nothing for it.
-- Keep in step with the other backend's file.
CREATE INDEX deliveries_takedowns_due ON deliveries (partner_id, seq)
    WHERE kind = 'withdrawn' AND state IN ('pending', 'sending', 'delivered', 'failed');
