-- Follow-ups (issue 22): a check-in that fires once, after an event the person said was coming ("eksamen på
-- fredag"). It is a topic of kind 'followup' (so every check-in gate applies), with the event's memory and place.
-- Statuses of a follow-up topic: proposed (waiting for the person's yes) | active | done | declined.
ALTER TABLE topics ADD COLUMN kind TEXT NOT NULL DEFAULT 'topic';  -- topic | followup
CREATE TABLE followups (
    topic_id     INTEGER PRIMARY KEY REFERENCES topics (id) ON DELETE CASCADE,
    scope        TEXT    NOT NULL,
    memory_id    TEXT    NOT NULL,  -- the event as a memory: forgetting it removes the follow-up
    what         TEXT    NOT NULL,  -- the person's word for it ("eksamen", "job interview")
    event_start  TEXT    NOT NULL,
    source       TEXT    NOT NULL,  -- where it was said (bot/places.py): asked about only where that may be shown
    guild_id     INTEGER,
    channel_id   INTEGER
);
CREATE INDEX followups_by_memory ON followups (scope, memory_id);
