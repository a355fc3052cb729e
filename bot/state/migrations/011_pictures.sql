-- Pictures people send (issue 24). The pictures themselves are never stored: only how many came with a message,
-- and what AIKI saw in them, in words (a short description from the model; /forget of that memory clears it).
ALTER TABLE turns ADD COLUMN pictures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN seen TEXT;
-- Whether a model takes pictures, found out once per model (AIKI_LLM_VISION=auto): 1 it does, 0 it refused them.
CREATE TABLE model_vision (
    model       TEXT PRIMARY KEY,
    sees        INTEGER NOT NULL,
    checked_at  TEXT NOT NULL
);
