-- Models AIKI's own commands made or switched to (`aiki finetune train`, `aiki finetune use`): earlier fine-tuned
-- AIKIs, whose replies an export leaves out unless the owner marks the model as AIKI's (`aiki finetune models`).
-- Models from provider jobs are known through finetune_jobs.
CREATE TABLE fine_tuned_models (
    model       TEXT PRIMARY KEY,
    made_by     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
