package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/internal/gridio"
	"github.com/gridmap/gridmap/postgis"
)

func openStore(ctx context.Context, cfg Config) (*postgis.Store, error) {
	if err := cfg.needDB(); err != nil {
		return nil, err
	}
	return postgis.OpenWith(ctx, cfg.DatabaseURL, cfg.DB)
}

func cmdMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	if err := newFlags("migrate").Parse(args); err != nil {
		return err
	}
	st, err := openStore(ctx, loadConfig())
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "database migrated")
	return nil
}

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "incidents" {
		return cmdImportIncidents(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "grids" {
		return fmt.Errorf("usage: gridmap import grids FILE --level LEVEL [--code-prop P] [--name-prop P] [--parent-prop P] [--make-valid] [--crs C] [--layer L] [--encoding E] [--wkt-column C] [--lon-column C --lat-column C]")
	}
	fs := newFlags("import grids")
	level := fs.String("level", "", "level of every grid in the file: street, village, micro (or a level added to grid_level)")
	codeProp := fs.String("code-prop", "code", "feature property holding the grid code")
	nameProp := fs.String("name-prop", "name", "feature property holding the grid name")
	parentProp := fs.String("parent-prop", "", "feature property holding the parent grid's code (none: a flat set)")
	makeValid := fs.Bool("make-valid", false, "repair invalid boundaries with ST_MakeValid instead of refusing the file")
	// Formats beyond GeoJSON (internal/gridio: csv.go, ogr.go).
	crs := fs.String("crs", "wgs84", "coordinate system of the file: wgs84, cgcs2000 (taken as WGS84), gcj02 or bd09 (converted to WGS84)")
	layer := fs.String("layer", "", "layer to read from a file with several (GeoPackage, zip of Shapefiles; needs GDAL)")
	encoding := fs.String("encoding", "", "text encoding of a Shapefile without .cpg, e.g. GBK (needs GDAL)")
	wktCol := fs.String("wkt-column", "", "CSV column holding the boundary as WKT (default: wkt, geometry, geom, the_geom, shape or boundary)")
	lonCol := fs.String("lon-column", "", "CSV vertex table: column of longitudes (default: lon, lng, longitude, x or 经度)")
	latCol := fs.String("lat-column", "", "CSV vertex table: column of latitudes (default: lat, latitude, y or 纬度)")
	file, err := parseWithFile(fs, args[1:])
	if err != nil {
		return err
	}
	if file == "" || *level == "" {
		fs.Usage()
		return fmt.Errorf("import grids needs a FILE and --level")
	}
	rows, closeFile, err := gridio.OpenFile(ctx, file, gridio.FileOptions{
		Props: gridio.Props{Code: *codeProp, Name: *nameProp, Parent: *parentProp},
		CSV:   gridio.CSVOptions{WKT: *wktCol, Lon: *lonCol, Lat: *latCol},
		OGR:   gridio.OGROptions{Layer: *layer, Encoding: *encoding},
		CRS:   *crs,
	})
	if err != nil {
		return err
	}
	defer closeFile()
	st, err := openStore(ctx, loadConfig())
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	res, err := st.ImportGrids(ctx, postgis.ImportOptions{Level: gridmap.Level(*level), MakeValid: *makeValid}, rows)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %s in %.1fs: %d features, %d new, %d changed, %d unchanged, %d repaired\n",
		file, time.Since(start).Seconds(), res.Read, res.Inserted, res.Updated, res.Unchanged, res.Repaired)
	return nil
}

func cmdDemo(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("demo")
	ifEmpty := fs.Bool("if-empty", false, "only when the database has no grids yet")
	var prov provinceFlags
	prov.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if prov.prefix != "" {
		return demoProvince(ctx, prov, stdout)
	}
	st, err := openStore(ctx, loadConfig())
	if err != nil {
		return err
	}
	defer st.Close()
	if *ifEmpty {
		has, err := st.HasGrids(ctx)
		if err != nil {
			return err
		}
		if has {
			fmt.Fprintln(stdout, "the database has grids already; demo not loaded")
			if err := demoIncidents(ctx, st, stdout, true); err != nil {
				return err
			}
			if err := demoDepartmentMembers(ctx, st, stdout); err != nil {
				return err
			}
			return demoWorklogs(ctx, st, stdout)
		}
	}
	outline, err := demodata.Yanzhou()
	if err != nil {
		return err
	}
	res, err := st.Demo(ctx, outline, postgis.DefaultDemo)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo street (synthetic, inside the real Yanzhou district outline): %d grids, %d new, %d changed, %d unchanged\n",
		res.Read, res.Inserted, res.Updated, res.Unchanged)
	if err := demoIncidents(ctx, st, stdout, *ifEmpty); err != nil {
		return err
	}
	if err := demoDepartmentMembers(ctx, st, stdout); err != nil {
		return err
	}
	return demoWorklogs(ctx, st, stdout)
}

// parseWithFile parses flags with one file argument given before or after
// them; the file is "" when none is given.
func parseWithFile(fs *flag.FlagSet, args []string) (string, error) {
	var file string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	}
	return file, nil
}
