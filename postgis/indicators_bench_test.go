package postgis_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/indicators"
	"github.com/gridmap/gridmap/internal/indicatorsql"
)

// addBenchSteps gives the benchmark incidents deadlines (7 days), five
// departments and, for one in ten, a stored history with a supervision and
// a revisit (a third not satisfied, then resolved and revisited again)
// before the close; the others keep the steps their status implies.
const addBenchStepsSQL = `
UPDATE incident SET deadline = reported_at + interval '7 days',
    department = (ARRAY['police', 'justice', 'sanitation', 'emergency', 'command'])[1 + id % 5];
INSERT INTO incident_step (incident_id, seq, step, at, actor_person, actor_role, payload, reported_at)
SELECT i.id, s.seq, s.step, i.reported_at + s.after, 'bench', 'system',
       CASE WHEN s.outcome = '' THEN '{}'::jsonb ELSE jsonb_build_object('outcome', s.outcome) END,
       i.reported_at
FROM incident i
CROSS JOIN LATERAL (VALUES
    (1, 'register', interval '1 hour', ''), (2, 'supervise', interval '2 hours', ''),
    (3, 'resolve', interval '2 days', ''), (4, 'reply', interval '3 days', ''),
    (5, 'revisit', interval '4 days', CASE i.id % 3 WHEN 0 THEN 'not_satisfied' WHEN 1 THEN 'satisfied' ELSE 'basically_satisfied' END),
    (6, CASE WHEN i.id % 3 = 0 THEN 'resolve' ELSE 'close' END, interval '9 days', ''),
    (7, 'reply', interval '10 days', ''), (8, 'revisit', interval '11 days', 'satisfied'), (9, 'close', interval '12 days', '')
) AS s (seq, step, after, outcome)
WHERE i.id % 10 = 0 AND (s.seq <= 6 OR i.id % 3 = 0);`

// BenchmarkIndicators: the indicators of one year of cases per village
// and per department, in memory (indicators.Set.Compute, what GET
// /api/v1/stats/indicators runs) beside the same figures computed in SQL
// (internal/indicatorsql, the tests' reference) in the same run, over 1M
// benchmark incidents (10M with GRIDMAP_BENCH_10M=1).
func BenchmarkIndicators(b *testing.B) {
	for _, n := range benchSizes() {
		l := loadedStore(b, n)
		ctx := context.Background()
		if _, err := l.st.Pool().Exec(ctx, addBenchStepsSQL); err != nil {
			b.Fatal(err)
		}
		for _, table := range []string{"incident", "incident_step"} {
			if _, err := l.st.Pool().Exec(ctx, `VACUUM ANALYZE `+table); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		start := time.Now()
		set := indicators.NewSet()
		set.Grow(n)
		batch := make([]indicators.Case, 0, 16384)
		if _, err := l.st.CaseChanges(ctx, "", func(c indicators.Case) error {
			batch = append(batch, c)
			if len(batch) == cap(batch) {
				set.Apply(batch)
				batch = batch[:0]
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		set.Apply(batch)
		load := time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&m1)
		if set.Len() != n {
			b.Fatalf("loaded %d cases, want %d", set.Len(), n)
		}
		from, to, now := benchEnd.AddDate(-1, 0, 0), benchEnd, benchEnd
		for _, by := range []indicators.By{indicators.ByVillage, indicators.ByDepartment} {
			q := indicators.Query{By: by, From: from, To: to, Now: now}
			if by == indicators.ByVillage {
				q.GroupOfGrid = func(code string) string {
					if g, ok := l.ix.AncestorAt(code, gridmap.LevelVillage); ok {
						return g.Code
					}
					return ""
				}
			}
			b.Run(fmt.Sprintf("n=%d/by=%s/memory", n, by), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if res := set.Compute(q); len(res.Rows) == 0 {
						b.Fatal("no rows")
					}
				}
				b.ReportMetric(load.Seconds(), "load-s")
				b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/float64(n), "heap-B/case")
			})
			b.Run(fmt.Sprintf("n=%d/by=%s/sql", n, by), func(b *testing.B) {
				for b.Loop() {
					rows, err := l.st.Pool().Query(ctx, indicatorsql.Indicators, from, to, now, string(by))
					if err != nil {
						b.Fatal(err)
					}
					k := 0
					for rows.Next() {
						k++
					}
					if rows.Close(); rows.Err() != nil || k == 0 {
						b.Fatalf("%d rows, %v", k, rows.Err())
					}
				}
			})
		}
	}
}
