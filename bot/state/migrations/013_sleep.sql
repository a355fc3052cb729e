-- How far a sleep pass has distilled each person's episodes into facts (bot/mind/sleep.py): the newest episode
-- done, by time and id, so a pass killed midway resumes after the last finished batch. Ids and times only.
CREATE TABLE sleep_watermarks (
    scope          TEXT PRIMARY KEY,
    distilled_at   TEXT NOT NULL,
    distilled_id   TEXT NOT NULL,
    passed_at      TEXT
);
