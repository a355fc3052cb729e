-- The newest Discord message AIKI has taken in, per channel: reading back after a break starts there (ids only,
-- no words). Kept after a forget, so forgotten messages are never read back and learned again.
CREATE TABLE seen_messages (
    channel_id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL
);
INSERT INTO seen_messages (channel_id, message_id)
    SELECT channel_id, MAX(message_id) FROM turns
    WHERE role = 'user' AND message_id IS NOT NULL AND channel_id IS NOT NULL
    GROUP BY channel_id;
-- The last message of the person's that a reply answers: a reply written while more messages arrived is shown
-- right after what it answered, not after those (bursts are answered together).
ALTER TABLE turns ADD COLUMN answers_turn_id INTEGER;
