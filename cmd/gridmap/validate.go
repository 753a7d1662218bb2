package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/postgis"
)

// cmdValidate prints the topology report of the current map:
//
//	gridmap validate [--level L] [--width-m M] [--sliver-m2 A] [--geojson FILE] [--max N]
//
// It exits with an error when it finds problems, so a script can run it
// right after an import.
func cmdValidate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("validate")
	cfg := loadConfig()
	tol := cfg.HTTP.Topology
	level := fs.String("level", "", "check one level only (with the parents of its grids, for gaps and parts outside)")
	width := fs.Float64("width-m", tol.WidthM, "ignore overlaps, gaps and parts outside narrower than this (mean width, metres; GRIDMAP_TOPOLOGY_WIDTH_M)")
	sliver := fs.Float64("sliver-m2", tol.SliverM2, "polygon parts smaller than this (m²) are slivers (GRIDMAP_TOPOLOGY_SLIVER_M2)")
	out := fs.String("geojson", "", "also write the problems to FILE as a GeoJSON FeatureCollection")
	max := fs.Int("max", 200, "print at most N problems (0: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Err != nil {
		return cfg.Err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("validate takes no arguments, only flags (got %q)", fs.Args())
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := postgis.NewPlans(st).ValidateMap(ctx, gridmap.Level(*level), gridmap.Tolerances{WidthM: *width, SliverM2: *sliver})
	if err != nil {
		return err
	}
	printReport(stdout, &r, *level, *max)
	if *out != "" {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "problems written to %s\n", *out)
	}
	if !r.Valid() {
		return gridmap.Errorf(gridmap.EINVALID, "%d topology problem(s) found", len(r.Problems))
	}
	return nil
}

// printReport writes the report for people: a summary line, the counts by
// kind, then one line per problem.
func printReport(w io.Writer, r *gridmap.TopologyReport, level string, max int) {
	scope := "all levels"
	if level != "" {
		scope = "level " + level
	}
	fmt.Fprintf(w, "checked %d grids (%s) in %.2fs; tolerances: width %g m, sliver %g m²\n",
		r.Grids, scope, r.Took.Seconds(), r.Tolerances.WidthM, r.Tolerances.SliverM2)
	if r.Valid() {
		fmt.Fprintln(w, "no problems")
		return
	}
	counts := r.Counts()
	var parts []string
	var area float64
	for _, k := range []gridmap.ProblemKind{gridmap.ProblemInvalidGeometry, gridmap.ProblemEmpty, gridmap.ProblemMalformedCode,
		gridmap.ProblemDuplicateCode, gridmap.ProblemUnknownLevel, gridmap.ProblemUnknownParent, gridmap.ProblemParentLevel,
		gridmap.ProblemOverlap, gridmap.ProblemGap, gridmap.ProblemOutsideParent, gridmap.ProblemSliver} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	for _, p := range r.Problems {
		area += p.AreaM2
	}
	fmt.Fprintf(w, "%d problems (%s), %.0f m² in all\n", len(r.Problems), strings.Join(parts, ", "), area)
	for i, p := range r.Problems {
		if max > 0 && i == max {
			fmt.Fprintf(w, "… %d more (--max 0 lists all, --geojson FILE writes them with their geometry)\n", len(r.Problems)-max)
			break
		}
		at := ""
		if p.Location != nil {
			at = fmt.Sprintf(" at %.6f,%.6f", p.Location[0], p.Location[1])
		}
		fmt.Fprintf(w, "  %-16s %s%s\n", p.Kind, p.Message, at)
	}
}
