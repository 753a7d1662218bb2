package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/paulmach/orb/geo"

	"github.com/gridmap/gridmap"
	gmgeo "github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/intake"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/internal/shareddata"
	"github.com/gridmap/gridmap/postgis"
)

// provinceFlags are the flags of gridmap demo --province.
type provinceFlags struct {
	prefix   string
	counties string
	micro    int
	cases    int
	from     int
	batch    int
	days     int
	noGrids  bool
}

func (p *provinceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.prefix, "province", "", "generate a synthetic province instead of the street: the adcode prefix of its real county outlines (37: Shandong's 136 counties, from ../shared/data/"+shareddata.Counties+"); needs an empty database")
	fs.StringVar(&p.counties, "counties", "", "with --province: only these counties (comma-separated adcodes); each gets the same grids as in the whole province")
	fs.IntVar(&p.micro, "micro", postgis.DefaultProvince.Micro, "with --province: micro-grids in the whole province, shared among counties by area")
	fs.IntVar(&p.cases, "cases", 0, "with --province: synthetic cases to load over the province's micro-grids (ids PROV<prefix>-000000001…; existing ids are kept)")
	fs.IntVar(&p.from, "cases-from", 0, "with --cases: skip the first cases (resume a load)")
	fs.IntVar(&p.batch, "cases-batch", 1_000_000, "with --cases: cases per COPY transaction")
	fs.IntVar(&p.days, "days", 365, "with --cases: the period the cases are reported in, ending now")
	fs.BoolVar(&p.noGrids, "cases-only", false, "with --province: load cases only (the grids are there already)")
}

// demoProvince writes the synthetic province county by county, then loads
// its cases, through the same store paths as real grids and imports.
func demoProvince(ctx context.Context, p provinceFlags, stdout io.Writer) error {
	st, err := openStore(ctx, loadConfig())
	if err != nil {
		return err
	}
	defer st.Close()
	if !p.noGrids {
		counties, err := provinceCounties(p.prefix, p.counties, p.micro)
		if err != nil {
			return err
		}
		spec := postgis.DefaultProvince
		spec.Prefix, spec.Micro = p.prefix, p.micro
		start := time.Now()
		var total postgis.ImportResult
		for i, c := range counties {
			t := time.Now()
			res, err := st.DemoCounty(ctx, c, spec)
			if err != nil {
				return fmt.Errorf("county %s %s: %w", c.Code, c.Name, err)
			}
			total.Read += res.Read
			total.Inserted += res.Inserted
			total.Updated += res.Updated
			total.Unchanged += res.Unchanged
			fmt.Fprintf(stdout, "county %d/%d %s %s: %d grids (%d micro wanted) in %.1fs\n",
				i+1, len(counties), c.Code, c.Name, res.Read, c.Micro, time.Since(t).Seconds())
		}
		fmt.Fprintf(stdout, "synthetic province %s: %d counties, %d grids, %d new, %d changed, %d unchanged in %.0fs\n",
			p.prefix, len(counties), total.Read, total.Inserted, total.Updated, total.Unchanged, time.Since(start).Seconds())
	}
	if p.cases > p.from {
		return provinceCases(ctx, st, p, stdout)
	}
	return nil
}

// provinceCounties reads the province's counties from the shared data and
// gives each its share of micro-grids by area, over the whole province, so
// a county alone is cut as in the whole.
func provinceCounties(prefix, only string, micro int) ([]postgis.County, error) {
	all, err := shareddata.CountyGrids()
	if err != nil {
		return nil, fmt.Errorf("county outlines (%s in ../shared/data or $GRIDMAP_SHARED_DATA): %w", shareddata.Counties, err)
	}
	var counties []postgis.County
	var areas []float64
	for _, g := range all {
		if len(g.Code) == 6 && strings.HasPrefix(g.Code, prefix) {
			counties = append(counties, postgis.County{Code: g.Code, Name: g.Name, Outline: g.Boundary})
			areas = append(areas, geo.Area(g.Boundary))
		}
	}
	if len(counties) == 0 {
		return nil, gridmap.Errorf(gridmap.EINVALID, "no county adcode starts with %q", prefix)
	}
	for i, n := range postgis.CountyShares(micro, areas) {
		counties[i].Micro = n
	}
	if only == "" {
		return counties, nil
	}
	var out []postgis.County
	for _, code := range strings.Split(only, ",") {
		code = strings.TrimSpace(code)
		i := -1
		for j, c := range counties {
			if c.Code == code {
				i = j
			}
		}
		if i < 0 {
			return nil, gridmap.Errorf(gridmap.EINVALID, "county %q is not in province %s", code, prefix)
		}
		out = append(out, counties[i])
	}
	return out, nil
}

// provinceCases loads synthetic cases in batches, each one ImportIncidents
// (COPY through the stage, as gridmap import incidents), and prints rows/s.
func provinceCases(ctx context.Context, st *postgis.Store, p provinceFlags, stdout io.Writer) error {
	ix, version, err := currentIndex(ctx, st)
	if err != nil {
		return err
	}
	if ix.Len() == 0 {
		return gridmap.Errorf(gridmap.EINVALID, "no grids: load the province first")
	}
	for i := range ix.Len() {
		if g := ix.At(i); g.Attributes["province"] != p.prefix {
			return gridmap.Errorf(gridmap.ECONFLICT, "grid %s is not part of synthetic province %s: synthetic cases go into synthetic grids only", g.Code, p.prefix)
		}
	}
	end := time.Now()
	prefix := "PROV" + p.prefix + "-"
	start := time.Now()
	for from := p.from; from < p.cases; from += p.batch {
		to := min(from+p.batch, p.cases)
		t := time.Now()
		gen := demodata.ProvinceCases(ix, end, p.days, from, to, p.cases, prefix, 37)
		i := from
		rows := func(yield func(intake.Checked, error) bool) {
			for in := range gen {
				if !yield(intake.Checked{Index: i - from, Incident: in, CRS: gmgeo.WGS84}, nil) {
					return
				}
				i++
			}
		}
		res, err := st.ImportIncidents(ctx, gridmap.ImportIncidentsOptions{By: commandActor("gridmap demo --province")}, intake.Assign(rows, ix, version))
		if err != nil {
			return fmt.Errorf("cases %d–%d: %w", from+1, to, err)
		}
		d := time.Since(t).Seconds()
		fmt.Fprintf(stdout, "cases %d–%d: %d new, %d stored before, %.1fs, %.0f rows/s\n",
			from+1, to, res.Created, res.Existing, d, float64(to-from)/d)
	}
	d := time.Since(start).Seconds()
	fmt.Fprintf(stdout, "synthetic cases %d–%d loaded in %.0fs: %.0f rows/s\n", p.from+1, p.cases, d, float64(p.cases-p.from)/d)
	return nil
}
