-- +goose Up
-- Issue 16: the scoring rules of the red and black lists (红黑榜), as data:
-- every save is a new version, old ones are kept, the newest is in force.
-- rules is indicators.Rules as JSON ({"worker": {"rules": [{"indicator",
-- "weight", "good", "bad"}], "red", "black", "min_cases"}, "village": …,
-- "department": …}), checked by indicators.Rules.Check before it is stored.
-- With no row the documented default (indicators.DefaultRules) is in force.
CREATE TABLE ranking_rules (
    version    bigserial PRIMARY KEY,
    rules      jsonb NOT NULL CHECK (jsonb_typeof(rules) = 'object'),
    reason     text NOT NULL DEFAULT '' CHECK (length(reason) <= 2000),
    created_by text NOT NULL,
    token_id   bigint,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE ranking_rules;
