package demodata

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// IncidentSpec sizes the synthetic incidents of the demo street.
type IncidentSpec struct {
	// Mix is the number of incidents per category over the year.
	Mix map[gridmap.Category]int
	// Days is the length of the period, ending at the End given to
	// Incidents.
	Days int
	// Hotspots is the number of spatial hotspots; HotShare the share of
	// incidents drawn around them (the rest spread by households).
	Hotspots int
	HotShare float64
	Seed     uint64
}

// DefaultIncidents is one year with the mix of the seed figures of a street
// office (兴隆庄街道, 2023): 11,292 incidents reported by grid workers, of
// which 3,589 public requests (民情民意), 2,567 service requests (帮办代办) and
// 329 disputes (248 settled early + 81 at the Wednesday meetings); hazards,
// environment, public security, petitions and others make up the rest.
var DefaultIncidents = IncidentSpec{
	Mix: map[gridmap.Category]int{
		gridmap.CategoryPublicRequest:  3589,
		gridmap.CategoryServiceRequest: 2567,
		gridmap.CategoryDispute:        329,
		gridmap.CategoryPetition:       52,
		gridmap.CategoryHazard:         1200,
		gridmap.CategoryEnvironment:    2300,
		gridmap.CategoryPublicSecurity: 700,
		gridmap.CategoryOther:          555,
	},
	Days:     365,
	Hotspots: 6,
	HotShare: 0.3,
	Seed:     370812,
}

// departments handling each category (synthetic but typical names).
var departments = map[gridmap.Category]string{
	gridmap.CategoryDispute:        "司法所",
	gridmap.CategoryHazard:         "应急管理办公室",
	gridmap.CategoryPublicRequest:  "便民服务中心",
	gridmap.CategoryServiceRequest: "便民服务中心",
	gridmap.CategoryPetition:       "信访办",
	gridmap.CategoryEnvironment:    "环卫所",
	gridmap.CategoryPublicSecurity: "派出所",
	gridmap.CategoryOther:          "综治中心",
}

// DeadlineDays is the time allowed to resolve, by category, in days: the
// demo's deadlines, and the default deadlines of the category table
// (incident_category.deadline_days, migration 00006; a test keeps the two
// equal).
var DeadlineDays = map[gridmap.Category]int{
	gridmap.CategoryDispute: 7, gridmap.CategoryHazard: 3, gridmap.CategoryPublicRequest: 10,
	gridmap.CategoryServiceRequest: 5, gridmap.CategoryPetition: 60, gridmap.CategoryEnvironment: 3,
	gridmap.CategoryPublicSecurity: 2, gridmap.CategoryOther: 10,
}

// stallShare is the share of incidents, by category, that stall: resolved
// 1 to 60 days after their deadline, so the wall map's overdue filter has
// cases to show, as a real street office has.
var stallShare = map[gridmap.Category]float64{
	gridmap.CategoryDispute: 0.2, gridmap.CategoryHazard: 0.1, gridmap.CategoryPetition: 0.25,
}

const defaultStallShare = 0.05

// weekday weights, Sunday first: busier on Wednesdays (周三说事), quiet at weekends.
var weekdayWeight = [7]float64{0.45, 1.15, 1.1, 1.35, 1.1, 1.0, 0.55}

// hourWeight: office hours, peaks mid-morning and mid-afternoon.
var hourWeight = [24]float64{0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.6, 2.2, 2.3, 1.8, 0.9, 1, 1.8, 2.1, 2, 1.5, 0.9, 0.7, 0.6, 0.4, 0.25, 0.15}

// Incidents generates the synthetic incidents of the demo street,
// deterministically for a spec and end: locations inside the micro-grids
// of ix (leaves), times in the spec.Days days before end (CST), statuses and
// step times by age as of end (some stall past their deadline, see
// stallShare). External ids are DEMO-000001…; names and
// phone numbers are fictional (王演示…, 199-0537-…); every description says
// it is synthetic.
func Incidents(ix *geo.Index, end time.Time, spec IncidentSpec) []gridmap.Incident {
	rng := rand.New(rand.NewPCG(spec.Seed, 0x696e6364))
	// Stalls draw from their own stream, so adding them moved no other
	// incident, time or place.
	stalls := rand.New(rand.NewPCG(spec.Seed, 0x7374616c))
	end = end.In(gridmap.ChinaTime)
	start := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, gridmap.ChinaTime).AddDate(0, 0, -spec.Days)

	leaves, weights := weightedLeaves(ix)
	if len(leaves) == 0 {
		return nil
	}
	cum := cumulative(weights)

	// Hotspots: points inside random leaves, each with a spread of 150 to
	// 400 m and a favourite category.
	type hotspot struct {
		at     orb.Point
		metres float64
		cat    gridmap.Category
	}
	cats := make([]gridmap.Category, 0, len(spec.Mix))
	for c := range spec.Mix {
		cats = append(cats, c)
	}
	slices.Sort(cats)
	spots := make([]hotspot, spec.Hotspots)
	for i := range spots {
		g := leaves[rng.IntN(len(leaves))]
		spots[i] = hotspot{at: pointIn(rng, ix, g), metres: 150 + 250*rng.Float64(), cat: cats[rng.IntN(len(cats))]}
	}

	// Day weights over the period: weekly rhythm, a summer bump for
	// environment handled per incident below.
	days := spec.Days
	dayW := make([]float64, days)
	for d := range dayW {
		dayW[d] = weekdayWeight[start.AddDate(0, 0, d).Weekday()]
	}
	dayCum := cumulative(dayW)
	hourCum := cumulative(hourWeight[:])

	var out []gridmap.Incident
	people := 0
	for _, cat := range cats {
		for range spec.Mix[cat] {
			var in gridmap.Incident
			in.Category = cat
			// Where.
			var p orb.Point
			if rng.Float64() < spec.HotShare {
				s := spots[rng.IntN(len(spots))]
				if s.cat != cat && rng.Float64() < 0.5 {
					s = spots[rng.IntN(len(spots))]
				}
				p = around(rng, ix, s.at, s.metres)
			}
			if p == (orb.Point{}) {
				p = pointIn(rng, ix, leaves[pick(rng, cum)])
			}
			in.Location = p
			// When.
			d := pick(rng, dayCum)
			day := start.AddDate(0, 0, d)
			if cat == gridmap.CategoryEnvironment && (day.Month() < 5 || day.Month() > 9) && rng.Float64() < 0.35 {
				day = start.AddDate(0, 0, pick(rng, dayCum)) // summer-heavy: redraw some winter days
			}
			h := pick(rng, hourCum)
			in.ReportedAt = day.Add(time.Duration(h)*time.Hour + time.Duration(rng.IntN(3600))*time.Second)
			if !in.ReportedAt.Before(end) {
				in.ReportedAt = end.Add(-time.Duration(1+rng.IntN(3600)) * time.Second)
			}
			// Who.
			switch r := rng.Float64(); {
			case cat == gridmap.CategoryPetition && r < 0.6:
				in.Source = gridmap.SourceVisit
			case r < 0.8:
				in.Source = gridmap.SourceGridWorker
			case r < 0.93:
				in.Source = gridmap.SourceHotline
			case r < 0.98:
				in.Source = gridmap.SourceVisit
			default:
				in.Source = gridmap.SourceOther
			}
			in.Department = departments[cat]
			dl := in.ReportedAt.AddDate(0, 0, DeadlineDays[cat])
			in.Deadline = &dl
			var stall time.Duration
			share, ok := stallShare[cat]
			if !ok {
				share = defaultStallShare
			}
			if stalls.Float64() < share {
				stall = in.Deadline.Sub(in.ReportedAt) + time.Duration(1+stalls.IntN(60*24))*time.Hour
			}
			walk(rng, &in, end, stall)
			in.Description = fmt.Sprintf("（演示数据，虚构）%s事项，位于网格内", labelZh[cat])
			if in.Source != gridmap.SourceGridWorker {
				people++
				in.Reporter = &gridmap.Reporter{
					Name:  fmt.Sprintf("%c演示%04d", []rune("王李张刘陈杨黄赵周吴徐孙")[rng.IntN(12)], people),
					Phone: fmt.Sprintf("199-0537-%04d", people%10000),
				}
			}
			out = append(out, in)
		}
	}
	// Ids in time order, as a ticket system would number them.
	slices.SortStableFunc(out, func(a, b gridmap.Incident) int { return a.ReportedAt.Compare(b.ReportedAt) })
	for i := range out {
		out[i].ExternalID = fmt.Sprintf("DEMO-%06d", i+1)
	}
	return out
}

var labelZh = map[gridmap.Category]string{
	gridmap.CategoryDispute: "矛盾纠纷", gridmap.CategoryHazard: "安全隐患", gridmap.CategoryPublicRequest: "民情民意",
	gridmap.CategoryServiceRequest: "帮办代办", gridmap.CategoryPetition: "信访", gridmap.CategoryEnvironment: "环境卫生",
	gridmap.CategoryPublicSecurity: "治安", gridmap.CategoryOther: "其他",
}

// walk moves in through the workflow as far as its age at end allows:
// accepted within hours, worked on within a day, resolved within days
// (sometimes after the deadline; stall later than that when non-zero),
// replied and closed soon after.
func walk(rng *rand.Rand, in *gridmap.Incident, end time.Time, stall time.Duration) {
	in.Status = gridmap.StatusReported
	t := in.ReportedAt
	steps := []struct {
		s   gridmap.Status
		max time.Duration
	}{
		{gridmap.StatusAccepted, 6 * time.Hour},
		{gridmap.StatusInProgress, 24 * time.Hour},
		{gridmap.StatusResolved, time.Duration(24*(1+rng.IntN(int(1.3*float64(in.Deadline.Sub(in.ReportedAt).Hours()/24))+1))) * time.Hour},
		{gridmap.StatusReplied, 48 * time.Hour},
		{gridmap.StatusClosed, 72 * time.Hour},
	}
	for _, st := range steps {
		d := time.Duration(rng.Int64N(int64(st.max))) + time.Minute
		if st.s == gridmap.StatusResolved && stall > 0 {
			d = stall // drawn above all the same, so rng moves as without stalls
		}
		t = t.Add(d).Truncate(time.Second)
		if !t.Before(end) {
			return
		}
		in.Status = st.s
		if in.StepAt == nil {
			in.StepAt = map[gridmap.Status]time.Time{}
		}
		in.StepAt[st.s] = t
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cumulative(w []float64) []float64 {
	c := make([]float64, len(w))
	sum := 0.0
	for i, x := range w {
		sum += x
		c[i] = sum
	}
	return c
}

// pick draws an index with probability proportional to its weight.
func pick(rng *rand.Rand, cum []float64) int {
	x := rng.Float64() * cum[len(cum)-1]
	i, _ := slices.BinarySearch(cum, x)
	return min(i, len(cum)-1)
}

// pointIn draws a point inside g by rejection from its bounds.
func pointIn(rng *rand.Rand, ix *geo.Index, g *gridmap.Grid) orb.Point {
	b := g.Boundary.Bound()
	for range 1000 {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		if h, ok := ix.Lookup(p[0], p[1]); ok && h.Grid().Code == g.Code {
			return round6(p)
		}
	}
	return round6(b.Center())
}

// around draws a point near c (Gaussian, sd metres), inside some grid, or
// the zero point after a few misses.
func around(rng *rand.Rand, ix *geo.Index, c orb.Point, metres float64) orb.Point {
	ky := 111_320.0
	kx := ky * math.Cos(c[1]*math.Pi/180)
	for range 20 {
		p := orb.Point{c[0] + rng.NormFloat64()*metres/kx, c[1] + rng.NormFloat64()*metres/ky}
		if _, ok := ix.Lookup(p[0], p[1]); ok {
			return round6(p)
		}
	}
	return orb.Point{}
}

// round6 rounds to 6 decimals (about 0.1 m), as a phone app reports.
func round6(p orb.Point) orb.Point {
	return orb.Point{math.Round(p[0]*1e6) / 1e6, math.Round(p[1]*1e6) / 1e6}
}

// weightedLeaves returns the micro-grids of ix (grids with a boundary and
// no children) in code order, each weighted by its households (200 when
// it has none).
func weightedLeaves(ix *geo.Index) (leaves []*gridmap.Grid, weights []float64) {
	parents := map[string]bool{}
	for i := range ix.Len() {
		parents[ix.At(i).Parent] = true
	}
	for i := range ix.Len() {
		g := ix.At(i)
		if len(g.Boundary) == 0 || parents[g.Code] {
			continue
		}
		w := 200.0
		if h, ok := g.Attributes["households"].(float64); ok {
			w = h
		} else if h, ok := g.Attributes["households"].(int); ok {
			w = float64(h)
		}
		leaves = append(leaves, g)
		weights = append(weights, w)
	}
	// Sort both together: the weights follow their leaves.
	idx := make([]int, len(leaves))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return compareStrings(leaves[a].Code, leaves[b].Code) })
	sl, sw := make([]*gridmap.Grid, len(idx)), make([]float64, len(idx))
	for i, j := range idx {
		sl[i], sw[i] = leaves[j], weights[j]
	}
	return sl, sw
}
