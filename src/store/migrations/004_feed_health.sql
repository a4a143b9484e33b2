-- 004: feed health.
-- disabled_reason: set when newswire stops polling a feed by itself (410 Gone);
--   cleared by `newswire feeds enable NAME` or by changing the feed's URL.
-- redirect_to / redirect_seen: a permanent redirect is followed at once, but
--   the feed's effective_url changes only after it was seen on consecutive
--   polls (a misconfigured server's one-off 301 does not move the feed).

ALTER TABLE feeds ADD COLUMN disabled_reason TEXT;
ALTER TABLE feeds ADD COLUMN redirect_to TEXT;
ALTER TABLE feeds ADD COLUMN redirect_seen INTEGER NOT NULL DEFAULT 0;
