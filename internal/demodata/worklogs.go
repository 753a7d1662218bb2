package demodata

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// WorklogSpec sizes the synthetic work logs of the demo street.
type WorklogSpec struct {
	// Days is the length of the period, ending at the End given to
	// Worklogs.
	Days int
	// Weekday and Weekend are the chances that a worker files a log on
	// such a day.
	Weekday, Weekend float64
	Seed             uint64
}

// DefaultWorklogs is one year: with the demo's 57 workers about 13,700
// logs (the seed figures of a street office: 13,712 in 2023).
var DefaultWorklogs = WorklogSpec{Days: 365, Weekday: 0.82, Weekend: 0.27, Seed: 150015}

// Worklogs returns synthetic work logs of the grid workers of ix (members
// with role "worker" of micro-grids, one worker by name) over the spec's
// days up to end, oldest first. Each log has one or two patrols in office
// hours, walked at 1.0–1.4 m/s with a point every 30 s, around one of the
// worker's micro-grids; one grid of each worker with more than one is
// neglected (chosen a twentieth as often), so coverage has gaps to show;
// about one patrol in a hundred has a GPS jump. Visited grids, metres and
// flags are computed as an upload computes them. Worker.TokenID is 0: the
// store gives each worker its demo token.
func Worklogs(ix *geo.Index, end time.Time, spec WorklogSpec) []gridmap.WorklogInput {
	rng := rand.New(rand.NewPCG(spec.Seed, 15))
	type worker struct {
		name, village string
		grids         []*gridmap.Grid
		weights       []float64
	}
	byName := map[string]*worker{}
	var workers []*worker
	for _, g := range ix.OfLevel(gridmap.LevelMicro) {
		for _, m := range g.Members {
			if m.Role != "worker" {
				continue
			}
			w := byName[m.Name]
			if w == nil {
				w = &worker{name: m.Name, village: g.Parent}
				byName[m.Name] = w
				workers = append(workers, w)
			}
			w.grids = append(w.grids, g)
			w.weights = append(w.weights, 1)
		}
	}
	for _, w := range workers {
		if len(w.grids) > 1 {
			w.weights[rng.IntN(len(w.grids))] = 0.05
		}
		for i := 1; i < len(w.weights); i++ { // cumulative, for pick
			w.weights[i] += w.weights[i-1]
		}
	}
	micro := func(g *gridmap.Grid) bool { return g.Level == gridmap.LevelMicro }
	var out []gridmap.WorklogInput
	first := end.In(gridmap.ChinaTime).AddDate(0, 0, -spec.Days+1)
	for d := range spec.Days {
		day := time.Date(first.Year(), first.Month(), first.Day()+d, 0, 0, 0, 0, gridmap.ChinaTime)
		share := spec.Weekday
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			share = spec.Weekend
		}
		for _, w := range workers {
			if rng.Float64() >= share {
				continue
			}
			in := gridmap.WorklogInput{Worker: gridmap.Actor{Name: w.name}, Role: gridmap.RoleReporter, Grid: w.village,
				Day: day.Format(time.DateOnly), Notes: "例行巡查（演示数据）"}
			starts := []time.Duration{8*time.Hour + 30*time.Minute + time.Duration(rng.IntN(90))*time.Minute}
			if rng.IntN(2) == 0 {
				starts = append(starts, 14*time.Hour+time.Duration(rng.IntN(120))*time.Minute)
			}
			for k, st := range starts {
				t0 := day.Add(st)
				if t0.After(end) {
					continue
				}
				g := w.grids[pick(rng, w.weights)]
				pts := patrolWalk(rng, ix, g, t0)
				ls := make(orb.LineString, len(pts))
				for i, q := range pts {
					ls[i] = orb.Point{q.Lon, q.Lat}
				}
				pc := gridmap.TrackPiece{ClientID: "demo-" + in.Day + "-" + string(rune('a'+k)), Points: pts,
					Start: pts[0].Time, End: pts[len(pts)-1].Time, Metres: geo.TrackMetres(ls), Flags: ix.TrackFlags(pts)}
				for _, v := range ix.VisitedGrids(ls, micro) {
					pc.Grids = append(pc.Grids, v.Grid.Code)
					pc.GridMetres = append(pc.GridMetres, math.Round(v.Metres*10)/10)
				}
				in.Tracks = append(in.Tracks, pc)
			}
			if len(in.Tracks) > 0 {
				out = append(out, in)
			}
		}
	}
	return out
}

// patrolWalk is 20–70 minutes of walking about grid g from t0: towards a
// random point of it, a new one when near, with some wobble.
func patrolWalk(rng *rand.Rand, ix *geo.Index, g *gridmap.Grid, t0 time.Time) []gridmap.TrackPoint {
	const step = 30 * time.Second
	n := int((20*time.Minute + time.Duration(rng.IntN(50))*time.Minute) / step)
	speed := 1.0 + 0.4*rng.Float64()
	p, target := pointIn(rng, ix, g), pointIn(rng, ix, g)
	kx := 111320 * math.Cos(p[1]*math.Pi/180)
	const ky = 110574.0
	out := make([]gridmap.TrackPoint, 0, n)
	jump := rng.IntN(100) == 0
	for i := range n {
		q := gridmap.TrackPoint{Lon: p[0], Lat: p[1], Time: t0.Add(time.Duration(i) * step).UTC(), Accuracy: 5 + 20*rng.Float64()}
		if jump && i == n/2 {
			q.Lon += 800 / kx // a GPS jump of 800 m for one point
		}
		out = append(out, q)
		dx, dy := (target[0]-p[0])*kx, (target[1]-p[1])*ky
		if math.Hypot(dx, dy) < 30 {
			target = pointIn(rng, ix, g)
			continue
		}
		h := math.Atan2(dy, dx) + (rng.Float64()-0.5)*0.8
		d := speed * step.Seconds()
		p = orb.Point{p[0] + d*math.Cos(h)/kx, p[1] + d*math.Sin(h)/ky}
	}
	return slices.Clip(out)
}
