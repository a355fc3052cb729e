-- Training data (issue 6): conversations imported from a ChatGPT export or an earlier AIKI's session logs live in
-- `turns` beside AIKI's own, in the owner's scope, with source 'import' and status 'imported' (so they never enter
-- a live prompt, which reads status 'ok'), and an external id so importing the same file twice adds nothing.
ALTER TABLE turns ADD COLUMN origin TEXT;              -- chatgpt | session-log; NULL for AIKI's own turns
ALTER TABLE turns ADD COLUMN conversation_id TEXT;     -- e.g. 'chatgpt:<id>'; NULL for AIKI's own turns
ALTER TABLE turns ADD COLUMN position INTEGER;         -- order within an imported conversation
ALTER TABLE turns ADD COLUMN external_id TEXT;         -- the source's message id, unique across imports
ALTER TABLE turns ADD COLUMN marked_bad INTEGER NOT NULL DEFAULT 0;  -- the owner said: never learn this reply
CREATE UNIQUE INDEX turns_by_external_id ON turns (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX turns_by_conversation ON turns (conversation_id, position) WHERE conversation_id IS NOT NULL;
-- One row per imported conversation (title and start), for reports and for listing replies to mark bad.
CREATE TABLE imported_conversations (
    id          TEXT PRIMARY KEY,                      -- the same value as turns.conversation_id
    origin      TEXT NOT NULL,
    scope       TEXT NOT NULL,
    title       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
-- Fine-tuning jobs started with `aiki finetune submit`, so `status` and `use` work without the job id.
CREATE TABLE finetune_jobs (
    id               TEXT PRIMARY KEY,                 -- the provider's job id
    base_url         TEXT NOT NULL,
    base_model       TEXT NOT NULL,
    training_file    TEXT NOT NULL,                    -- the local file that was uploaded
    status           TEXT NOT NULL,
    fine_tuned_model TEXT,
    error            TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
