-- When a sleep pass last finished for each person (bot/mind/sleep.py), whatever it found to do: the scheduler
-- (bot/checkins/bedtime.py) runs the next one after the person has been quiet since then, or once a night. A pass
-- killed midway records nothing here, so it runs again and resumes from its watermark. Ids and times only.
CREATE TABLE sleep_passes (
    scope       TEXT PRIMARY KEY,
    finished_at TEXT NOT NULL
);
