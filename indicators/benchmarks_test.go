package indicators

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// BenchmarkCompute: Compute over 1M random cases (fixed seed) by grid
// group and by department, beside a naive baseline in the same run: the
// same counts by a loop over the Case structs with a map per group. The
// database baseline is postgis.BenchmarkIndicators.
func BenchmarkCompute(b *testing.B) {
	const n = 1_000_000
	cases := randomCases(rand.New(rand.NewPCG(7, 8)), n)
	s := NewSet()
	s.Grow(n)
	s.Apply(cases)
	runtime.GC() // the setup's garbage is not the computation's
	for _, by := range []By{ByVillage, ByDepartment} {
		q := Query{By: by, From: t0.AddDate(0, 1, 0), To: t0.AddDate(0, 3, 0), Now: t0.AddDate(0, 2, 0),
			GroupOfGrid: func(code string) string { return code[:1] + string(rune('a'+(code[1]-'a')/5)) }}
		b.Run(fmt.Sprintf("n=%d/by=%s/set", n, by), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Compute(q)
			}
		})
		b.Run(fmt.Sprintf("n=%d/by=%s/naive", n, by), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m := map[string]*[4]int{}
				for i := range cases {
					c := &cases[i]
					if c.ReportedAt.Before(q.From) || !c.ReportedAt.Before(q.To) {
						continue
					}
					k := c.Department
					if by == ByVillage {
						k = q.GroupOfGrid(c.GridCode)
					}
					a := m[k]
					if a == nil {
						a = new([4]int)
						m[k] = a
					}
					a[0]++
					if c.Closed {
						a[1]++
					}
					if c.OnTime() {
						a[2]++
					}
					a[3] += c.Answers
				}
			}
		})
	}
}
