-- Which model wrote each of AIKI's replies (issue 16), so a fine-tuning export can leave out replies written by
-- test models or by an earlier fine-tuned AIKI. NULL: a user message, an imported turn, or a reply from before
-- this column existed.
ALTER TABLE turns ADD COLUMN model TEXT;
-- Models the owner marked: learn = 0 keeps that model's replies out of every export (`aiki finetune models`).
CREATE TABLE model_marks (
    model  TEXT PRIMARY KEY,
    learn  INTEGER NOT NULL
);
