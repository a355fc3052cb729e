-- Proactive check-ins. SQLite is the truth; the scheduler's jobs are rebuilt from here at every start.
CREATE TABLE topics (
    id               INTEGER PRIMARY KEY,
    scope            TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    cadence_hours    REAL    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'active',  -- active | paused | declined
    created_at       TEXT    NOT NULL,
    next_due_at      TEXT    NOT NULL,                    -- the next slot by cadence
    retry_at         TEXT,                                -- look again then (quiet hours, busy, ...)
    unanswered       INTEGER NOT NULL DEFAULT 0,          -- check-ins in a row that got no answer
    UNIQUE (scope, name)
);
CREATE TABLE checkins (
    id           INTEGER PRIMARY KEY,
    scope        TEXT    NOT NULL,
    topic_id     INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    sent_at      TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    answered_at  TEXT,
    ignored      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX checkins_by_scope_time ON checkins (scope, sent_at);
-- Per-person check-in preferences; a row is created with the defaults on first use.
CREATE TABLE checkin_prefs (
    scope          TEXT PRIMARY KEY,
    enabled        INTEGER NOT NULL DEFAULT 1,
    paused_reason  TEXT,                      -- e.g. Discord refused DMs (50007)
    quiet_start    TEXT    NOT NULL DEFAULT '22:00',
    quiet_end      TEXT    NOT NULL DEFAULT '08:00',
    timezone       TEXT,                      -- NULL: AIKI_TIMEZONE
    daily_cap      INTEGER NOT NULL DEFAULT 2
);
