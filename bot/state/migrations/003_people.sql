-- Per-person choices. Memories from DMs stay out of server channels unless the person allows it.
CREATE TABLE people (
    scope                     TEXT PRIMARY KEY,
    share_dm_memories_in_servers INTEGER NOT NULL DEFAULT 0
);
