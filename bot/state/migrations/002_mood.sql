-- AIKI's mood towards each person, and every event that moved it (so "why this mood?" has a true answer).
CREATE TABLE mood_state (
    scope       TEXT PRIMARY KEY,
    valence     REAL NOT NULL,
    arousal     REAL NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE mood_events (
    id            INTEGER PRIMARY KEY,
    scope         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    reason        TEXT NOT NULL,
    d_valence     REAL NOT NULL,
    d_arousal     REAL NOT NULL,
    valence_after REAL NOT NULL,
    arousal_after REAL NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX mood_events_by_scope_time ON mood_events (scope, created_at);
-- Small facts about AIKI itself, e.g. the hash of the persona file the identity memories came from.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
