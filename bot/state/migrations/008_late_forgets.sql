-- Forgets that a stop cut short and a later start finished (issue 19), so the person can be told once: who, what
-- kind of forget ('memory' or 'everything') and when it was asked. Ids and dates only, never words.
CREATE TABLE late_forgets (
    scope         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    requested_at  TEXT NOT NULL,
    completed_at  TEXT NOT NULL,
    PRIMARY KEY (scope, kind, requested_at)
);
