package main

import (
	"context"
	"fmt"
	"io"
	"os"
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
	return postgis.Open(ctx, cfg.DatabaseURL)
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
	if len(args) == 0 || args[0] != "grids" {
		return fmt.Errorf("usage: gridmap import grids FILE --level LEVEL [--code-prop P] [--name-prop P] [--parent-prop P] [--make-valid]")
	}
	fs := newFlags("import grids")
	level := fs.String("level", "", "level of every grid in the file: street, village, micro (or a level added to grid_level)")
	codeProp := fs.String("code-prop", "code", "feature property holding the grid code")
	nameProp := fs.String("name-prop", "name", "feature property holding the grid name")
	parentProp := fs.String("parent-prop", "", "feature property holding the parent grid's code (none: a flat set)")
	makeValid := fs.Bool("make-valid", false, "repair invalid boundaries with ST_MakeValid instead of refusing the file")
	// Accept the file before or after the flags.
	rest := args[1:]
	var file string
	if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		file, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	}
	if file == "" || *level == "" {
		fs.Usage()
		return fmt.Errorf("import grids needs a FILE and --level")
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := openStore(ctx, loadConfig())
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	res, err := st.ImportGrids(ctx, postgis.ImportOptions{Level: gridmap.Level(*level), MakeValid: *makeValid},
		gridio.ReadGeoJSON(f, gridio.Props{Code: *codeProp, Name: *nameProp, Parent: *parentProp}))
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
	if err := fs.Parse(args); err != nil {
		return err
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
			return nil
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
	return nil
}
