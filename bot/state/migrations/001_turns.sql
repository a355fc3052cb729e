-- Every user message and every AIKI reply, stored before anything else can fail.
CREATE TABLE turns (
    id                 INTEGER PRIMARY KEY,
    scope              TEXT    NOT NULL,          -- the person (Discord user id) the turn belongs to
    role               TEXT    NOT NULL CHECK (role IN ('user', 'assistant')),
    content            TEXT    NOT NULL,
    created_at         TEXT    NOT NULL,          -- ISO 8601, UTC
    source             TEXT    NOT NULL DEFAULT 'cli',  -- dm | channel | cli | import
    guild_id           INTEGER,
    channel_id         INTEGER,
    message_id         INTEGER,
    reply_to_message_id INTEGER,
    status             TEXT    NOT NULL DEFAULT 'ok'   -- ok | failed (a reply that never finished)
);
CREATE INDEX turns_by_scope_time ON turns (scope, created_at);
CREATE UNIQUE INDEX turns_by_message ON turns (message_id, role) WHERE message_id IS NOT NULL;
