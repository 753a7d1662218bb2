package indicators

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gridmap/gridmap"
)

// Indicator names a figure of a Row that a scoring rule may weigh.
type Indicator string

// The indicators a rule may weigh, by their JSON name in a Row.
var indicatorValue = map[Indicator]func(r *Row) *float64{
	"received":             func(r *Row) *float64 { return num(r.Received) },
	"registered":           func(r *Row) *float64 { return num(r.Registered) },
	"closed":               func(r *Row) *float64 { return num(r.Closed) },
	"closure_rate":         func(r *Row) *float64 { return r.ClosureRate },
	"on_time_closure_rate": func(r *Row) *float64 { return r.OnTimeRate },
	"reply_rate":           func(r *Row) *float64 { return r.ReplyRate },
	"revisit_rate":         func(r *Row) *float64 { return r.RevisitRate },
	"satisfaction_rate":    func(r *Row) *float64 { return r.SatisfactionRate },
	"median_close_hours":   func(r *Row) *float64 { return r.MedianCloseHours },
	"p90_close_hours":      func(r *Row) *float64 { return r.P90CloseHours },
	"open_overdue":         func(r *Row) *float64 { return num(r.OpenOverdue) },
	"supervised":           func(r *Row) *float64 { return num(r.Supervised) },
	"duplicates":           func(r *Row) *float64 { return num(r.Duplicates) },
	"reopened":             func(r *Row) *float64 { return num(r.Reopened) },
	"logs_filed":           func(r *Row) *float64 { return work(r, func(w *Work) float64 { return float64(w.LogsFiled) }) },
	"patrol_days":          func(r *Row) *float64 { return work(r, func(w *Work) float64 { return float64(w.PatrolDays) }) },
	"distance_km":          func(r *Row) *float64 { return work(r, func(w *Work) float64 { return w.DistanceKM }) },
	"grids_covered":        func(r *Row) *float64 { return work(r, func(w *Work) float64 { return float64(w.GridsCovered) }) },
	"cases_raised":         func(r *Row) *float64 { return work(r, func(w *Work) float64 { return float64(w.CasesRaised) }) },
	"cases_verified":       func(r *Row) *float64 { return work(r, func(w *Work) float64 { return float64(w.CasesVerified) }) },
}

func num(n int) *float64 { v := float64(n); return &v }

func work(r *Row, f func(*Work) float64) *float64 {
	if r.Work == nil {
		return nil
	}
	v := f(r.Work)
	return &v
}

// Value returns the value of indicator i in row r; ok is false when the
// row has none (a rate with no cases to divide by).
func (r *Row) Value(i Indicator) (v float64, ok bool) {
	f := indicatorValue[i]
	if f == nil {
		return 0, false
	}
	p := f(r)
	if p == nil {
		return 0, false
	}
	return *p, true
}

// Of is what a ranking ranks.
type Of string

// The rankings.
const (
	OfWorker     Of = "worker"
	OfVillage    Of = "village"
	OfDepartment Of = "department"
)

// Ofs lists the rankings.
var Ofs = []Of{OfWorker, OfVillage, OfDepartment}

// By returns the grouping a ranking ranks the rows of.
func (o Of) By() By { return By(o) }

// Rule weighs one indicator: a value at Good or better scores the full
// Weight, at Bad or worse nothing, linearly between. Good below Bad means
// lower is better (overdue cases, hours to close).
type Rule struct {
	Indicator Indicator `json:"indicator"`
	Weight    float64   `json:"weight"`
	Good      float64   `json:"good"`
	Bad       float64   `json:"bad"`
}

// RuleSet is how one kind of group is ranked: its rules, how many make the
// red list (top) and the black list (bottom), and the fewest cases received
// for a group to be ranked at all (a worker with no case is ranked on
// their work alone when MinCases is 0).
type RuleSet struct {
	Rules    []Rule `json:"rules"`
	Red      int    `json:"red"`
	Black    int    `json:"black"`
	MinCases int    `json:"min_cases"`
}

// Rules are the scoring rules of every ranking, as an admin keeps them
// (versioned in the database).
type Rules map[Of]RuleSet

// DefaultRules are the rules a new installation ranks by (README.md,
// "Red and black lists").
func DefaultRules() Rules {
	cases := []Rule{
		{"closure_rate", 25, 0.95, 0.6},
		{"on_time_closure_rate", 20, 0.95, 0.6},
		{"satisfaction_rate", 20, 1, 0.8},
		{"reply_rate", 10, 1, 0.7},
		{"open_overdue", 15, 0, 5},
		{"median_close_hours", 10, 24, 168},
	}
	return Rules{
		OfWorker: {Rules: []Rule{
			{"logs_filed", 20, 22, 10},
			{"patrol_days", 20, 22, 10},
			{"grids_covered", 10, 3, 1},
			{"cases_raised", 20, 10, 0},
			{"cases_verified", 15, 8, 0},
			{"closure_rate", 15, 0.95, 0.6},
		}, Red: 5, Black: 5},
		OfVillage:    {Rules: cases, Red: 3, Black: 3, MinCases: 5},
		OfDepartment: {Rules: cases, Red: 3, Black: 3, MinCases: 5},
	}
}

// Check validates the rules: every ranking present, known indicators,
// positive weights, Good ≠ Bad, list sizes 0–50. Errors: EINVALID naming
// the first bad field.
func (rs Rules) Check() error {
	for of := range rs {
		if !slices.Contains(Ofs, of) {
			return gridmap.Errorf(gridmap.EINVALID, "unknown ranking %q; the rankings are %s", of, joinOfs())
		}
	}
	for _, of := range Ofs {
		set, ok := rs[of]
		if !ok {
			return gridmap.Errorf(gridmap.EINVALID, "%s: the rules of this ranking are missing; give all of %s", of, joinOfs())
		}
		if len(set.Rules) == 0 || len(set.Rules) > 30 {
			return gridmap.Errorf(gridmap.EINVALID, "%s.rules: give 1 to 30 rules, not %d", of, len(set.Rules))
		}
		if set.Red < 0 || set.Red > 50 || set.Black < 0 || set.Black > 50 {
			return gridmap.Errorf(gridmap.EINVALID, "%s: red and black are list sizes from 0 to 50", of)
		}
		if set.MinCases < 0 || set.MinCases > 100000 {
			return gridmap.Errorf(gridmap.EINVALID, "%s.min_cases: give 0 to 100000", of)
		}
		seen := map[Indicator]bool{}
		for i, r := range set.Rules {
			if indicatorValue[r.Indicator] == nil {
				return gridmap.Errorf(gridmap.EINVALID, "%s.rules[%d].indicator %q is not an indicator; use one of %s", of, i, clip(string(r.Indicator)), strings.Join(IndicatorNames(), ", "))
			}
			if seen[r.Indicator] {
				return gridmap.Errorf(gridmap.EINVALID, "%s.rules[%d]: %s is weighed twice", of, i, r.Indicator)
			}
			seen[r.Indicator] = true
			if !(r.Weight > 0 && r.Weight <= 1000) {
				return gridmap.Errorf(gridmap.EINVALID, "%s.rules[%d].weight must be above 0 and at most 1000", of, i)
			}
			if r.Good == r.Bad || math.IsNaN(r.Good) || math.IsNaN(r.Bad) || math.IsInf(r.Good, 0) || math.IsInf(r.Bad, 0) {
				return gridmap.Errorf(gridmap.EINVALID, "%s.rules[%d]: good and bad must be two different numbers", of, i)
			}
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func joinOfs() string {
	parts := make([]string, len(Ofs))
	for i, o := range Ofs {
		parts[i] = string(o)
	}
	return strings.Join(parts, ", ")
}

// IndicatorNames lists the indicators a rule may weigh, sorted.
func IndicatorNames() []string {
	out := make([]string, 0, len(indicatorValue))
	for k := range indicatorValue {
		out = append(out, string(k))
	}
	slices.Sort(out)
	return out
}

// RulesVersion is one version of the rules, as stored. Version 0 is the
// default (DefaultRules), in force until an admin saves rules.
type RulesVersion struct {
	Version   int64      `json:"version"`
	Rules     Rules      `json:"rules"`
	Reason    string     `json:"reason"`
	CreatedBy string     `json:"created_by"`
	CreatedAt *time.Time `json:"created_at"`
}

// Part is one rule's share of a score.
type Part struct {
	Indicator Indicator `json:"indicator"`
	Value     float64   `json:"value"`
	// Fraction of the rule's weight earned, 0 to 1.
	Fraction float64 `json:"fraction"`
	Points   float64 `json:"points"`
}

// Ranked is one group's place in a ranking.
type Ranked struct {
	Key   string `json:"key"`
	Place int    `json:"place"` // 1 is the best
	// Score is the points earned out of 100: the sum of Points over the
	// rules the group has a value for, scaled by their weights.
	Score float64 `json:"score"`
	Parts []Part  `json:"parts"`
	// Why are the indicators that put the group on a list: its best
	// parts on the red list, its worst on the black list.
	Why []Part `json:"why,omitempty"`
	Row Row    `json:"indicators"`
}

// Ranking is a ranking with its red and black lists.
type Ranking struct {
	Of       Of       `json:"of"`
	Ranked   []Ranked `json:"ranked"`
	Red      []Ranked `json:"red"`
	Black    []Ranked `json:"black"`
	Unranked []string `json:"unranked"` // keys with fewer than MinCases cases
}

// Score scores row r by set.
func (set RuleSet) Score(r *Row) (score float64, parts []Part) {
	var earned, weight float64
	for _, ru := range set.Rules {
		v, ok := r.Value(ru.Indicator)
		if !ok {
			continue
		}
		f := (v - ru.Bad) / (ru.Good - ru.Bad)
		f = max(0, min(1, f))
		parts = append(parts, Part{Indicator: ru.Indicator, Value: v, Fraction: f, Points: f * ru.Weight})
		earned += f * ru.Weight
		weight += ru.Weight
	}
	if weight == 0 {
		return 0, parts
	}
	return 100 * earned / weight, parts
}

// whyCount is how many indicators explain a place on a list.
const whyCount = 3

// Rank ranks the rows of one grouping by set: highest score first, ties by
// key. The red list is the top set.Red, the black list the bottom
// set.Black (never the same group on both).
func Rank(of Of, rows []Row, set RuleSet) Ranking {
	out := Ranking{Of: of, Ranked: []Ranked{}, Red: []Ranked{}, Black: []Ranked{}, Unranked: []string{}}
	for _, r := range rows {
		if r.Received < set.MinCases {
			out.Unranked = append(out.Unranked, r.Key)
			continue
		}
		score, parts := set.Score(&r)
		out.Ranked = append(out.Ranked, Ranked{Key: r.Key, Score: math.Round(score*100) / 100, Parts: parts, Row: r})
	}
	slices.SortStableFunc(out.Ranked, func(a, b Ranked) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	for i := range out.Ranked {
		out.Ranked[i].Place = i + 1
	}
	n := len(out.Ranked)
	red := min(set.Red, n)
	black := min(set.Black, n-red)
	for _, r := range out.Ranked[:red] {
		r.Why = why(r.Parts, true)
		out.Red = append(out.Red, r)
	}
	for i := n - 1; i >= n-black; i-- {
		r := out.Ranked[i]
		r.Why = why(r.Parts, false)
		out.Black = append(out.Black, r)
	}
	return out
}

// why picks the best (or worst) parts by the fraction earned.
func why(parts []Part, best bool) []Part {
	p := slices.Clone(parts)
	slices.SortStableFunc(p, func(a, b Part) int {
		if best {
			return cmp.Compare(b.Fraction, a.Fraction)
		}
		return cmp.Compare(a.Fraction, b.Fraction)
	})
	return p[:min(whyCount, len(p))]
}

// String names a rule for messages.
func (r Rule) String() string {
	return fmt.Sprintf("%s (weight %g, good %g, bad %g)", r.Indicator, r.Weight, r.Good, r.Bad)
}
