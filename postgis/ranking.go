package postgis

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/indicators"
)

const rankingRulesSQL = `
SELECT version, rules, reason, created_by, created_at FROM ranking_rules ORDER BY version DESC LIMIT $1`

// RankingRules returns the rules in force followed by up to history older
// versions, newest first (only the default, version 0, when none was
// saved).
func (s *Store) RankingRules(ctx context.Context, history int) (out []indicators.RulesVersion, err error) {
	defer gridmap.Wrap(&err, "postgis.RankingRules")
	rows, err := s.pool.Query(ctx, rankingRulesSQL, history+1)
	if err != nil {
		return nil, mapErr(err, "ranking rules")
	}
	out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (indicators.RulesVersion, error) {
		var v indicators.RulesVersion
		var raw []byte
		var at time.Time
		if err := r.Scan(&v.Version, &raw, &v.Reason, &v.CreatedBy, &at); err != nil {
			return v, err
		}
		v.CreatedAt = &at
		return v, json.Unmarshal(raw, &v.Rules)
	})
	if err != nil {
		return nil, mapErr(err, "ranking rules")
	}
	if len(out) == 0 {
		out = []indicators.RulesVersion{{Version: 0, Rules: indicators.DefaultRules(), CreatedBy: "gridmap", Reason: "the default"}}
	}
	return out, nil
}

// SaveRankingRules stores rules as a new version, in force from now, by
// who, for reason. Errors: EINVALID from indicators.Rules.Check.
func (s *Store) SaveRankingRules(ctx context.Context, rules indicators.Rules, reason string, by gridmap.Actor) (v indicators.RulesVersion, err error) {
	defer gridmap.Wrap(&err, "postgis.SaveRankingRules")
	if err := rules.Check(); err != nil {
		return v, err
	}
	raw, err := json.Marshal(rules)
	if err != nil {
		return v, err
	}
	var at time.Time
	err = s.pool.QueryRow(ctx, `INSERT INTO ranking_rules (rules, reason, created_by, token_id) VALUES ($1, $2, $3, $4) RETURNING version, created_at`,
		raw, reason, by.Name, tokenArg(by)).Scan(&v.Version, &at)
	if err != nil {
		return v, mapErr(err, "ranking rules")
	}
	v.Rules, v.Reason, v.CreatedBy, v.CreatedAt = rules, reason, by.Name, &at
	return v, nil
}
