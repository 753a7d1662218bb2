package demodata

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// ProvinceCases streams cases from+1 … to of total synthetic cases over
// the leaves of ix (weighted by households), reported in the days before end
// with the street's category mix, weekly and daily rhythm and statuses by
// age (walk). Unlike Incidents it holds nothing but the leaves, so tens of
// millions can be generated. Case i is the same in every run for a seed and
// total, whatever the range, so an interrupted load resumes; ids are prefix +
// 9 digits, in time order as a ticket system numbers them (case i is
// reported at the i/total quantile of the period's hourly weights). No
// hotspots.
func ProvinceCases(ix *geo.Index, end time.Time, days, from, to, total int, prefix string, seed uint64) iter.Seq[gridmap.Incident] {
	return func(yield func(gridmap.Incident) bool) {
		leaves, weights := weightedLeaves(ix)
		if len(leaves) == 0 {
			return
		}
		cum := cumulative(weights)
		cats := make([]gridmap.Category, 0, len(DefaultIncidents.Mix))
		var catW []float64
		for c := range DefaultIncidents.Mix {
			cats = append(cats, c)
		}
		slices.Sort(cats)
		for _, c := range cats {
			catW = append(catW, float64(DefaultIncidents.Mix[c]))
		}
		catCum := cumulative(catW)
		end = end.In(gridmap.ChinaTime)
		start := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, gridmap.ChinaTime).AddDate(0, 0, -days)
		// One weight per hour of the period: weekday × hour of day.
		slotW := make([]float64, days*24)
		for d := range days {
			wd := weekdayWeight[start.AddDate(0, 0, d).Weekday()]
			for h := range 24 {
				slotW[d*24+h] = wd * hourWeight[h]
			}
		}
		slotCum := cumulative(slotW)
		for i := from + 1; i <= to; i++ {
			// One stream per case: any case can be made alone.
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			var in gridmap.Incident
			in.ExternalID = fmt.Sprintf("%s%09d", prefix, i)
			in.Category = cats[pick(rng, catCum)]
			in.Location = pointIn(rng, ix, leaves[pick(rng, cum)])
			// The hour holding quantile i/total, and a point in it as far
			// through the hour as the quantile is through its weight.
			q := (float64(i) - 0.5) / float64(total) * slotCum[len(slotCum)-1]
			slot, _ := slices.BinarySearch(slotCum, q)
			slot = min(slot, len(slotCum)-1)
			lo := 0.0
			if slot > 0 {
				lo = slotCum[slot-1]
			}
			frac := (q - lo) / slotW[slot]
			in.ReportedAt = start.AddDate(0, 0, slot/24).Add(time.Duration(slot%24)*time.Hour + time.Duration(frac*3600)*time.Second)
			if !in.ReportedAt.Before(end) {
				in.ReportedAt = end.Add(-time.Second)
			}
			switch r := rng.Float64(); {
			case r < 0.8:
				in.Source = gridmap.SourceGridWorker
			case r < 0.93:
				in.Source = gridmap.SourceHotline
			default:
				in.Source = gridmap.SourceVisit
			}
			in.Department = departments[in.Category]
			dl := in.ReportedAt.AddDate(0, 0, DeadlineDays[in.Category])
			in.Deadline = &dl
			walk(rng, &in, end, 0)
			in.Description = fmt.Sprintf("（演示数据，虚构）%s事项", labelZh[in.Category])
			if !yield(in) {
				return
			}
		}
	}
}
