-- "When did this person last write?" must not sort their whole history (bench/turn.py: 3.7 ms at 20k turns).
CREATE INDEX turns_by_scope_role_id ON turns (scope, role, status, id);
