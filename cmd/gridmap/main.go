// Command gridmap is the grid-governance GIS service: one binary to serve,
// migrate, import, check the map's topology, manage API tokens and the
// departments' people, and generate the demo street.
//
//	gridmap serve [--addr 127.0.0.1:8080]
//	gridmap migrate
//	gridmap import grids FILE.geojson[.gz] --level LEVEL [--code-prop P] [--name-prop P] [--parent-prop P] [--make-valid]
//	gridmap import incidents FILE.csv|.ndjson|.geojson[.gz] [--columns field=Header,...] [--crs C] [--source S] [--partial]
//	gridmap validate [--level L] [--width-m M] [--sliver-m2 A] [--geojson FILE] [--max N]
//	gridmap token create --role R --name N [--grid CODE] | revoke ID|TOKEN | list
//	gridmap department members add --department D --name N --role head|staff [--phone P] | list | retire --department D ID
//	gridmap demo [--if-empty]
//	gridmap demo --province 37 [--counties C,C] [--cases N]
//	gridmap partitions list [--exact] | rollup [--month M|--before M] | archive --before M --to DIR
//
// Every command reads the database from DATABASE_URL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/gridmap/gridmap"
)

const usage = `usage: gridmap COMMAND [flags]

commands:
  serve     serve the HTTP API and pages
  migrate   apply database migrations
  import    import data: gridmap import grids FILE --level LEVEL ...
                         gridmap import incidents FILE [--columns ...] [--partial]
  validate  check the current map's topology (gaps, overlaps, slivers, codes, parents);
            exits 1 when it finds problems: gridmap validate [--level L] [--geojson FILE]
  token     API tokens: gridmap token create --role R --name N | revoke ID | list
  department  the departments' people: gridmap department members add --department D
            --name N --role head|staff [--phone P] | list [--department D] | retire --department D ID
  demo      generate the synthetic demo street (1 street, 31 villages, 242 micro-grids)
            and one year of synthetic incidents (about 11,300); --province 37: a synthetic
            province (136 real county outlines, ~100,000 micro-grids), --cases N its cases
  partitions  the cases' monthly partitions: gridmap partitions list | rollup [--month YYYY-MM]
            | archive --before YYYY-MM --to DIR (old months to files, then out of the database)

Every command reads DATABASE_URL. Run 'gridmap COMMAND -h' for its flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			printError(os.Stderr, err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, stdout)
	case "import":
		return cmdImport(ctx, rest, stdout, stderr)
	case "validate":
		return cmdValidate(ctx, rest, stdout)
	case "demo":
		return cmdDemo(ctx, rest, stdout)
	case "token":
		return cmdToken(ctx, rest, stdout, stderr)
	case "department":
		return cmdDepartment(ctx, rest, stdout, stderr)
	case "partitions":
		return cmdPartitions(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// printError prints an error and, for a batch, every item that failed.
func printError(w io.Writer, err error) {
	var e *gridmap.Error
	if errors.As(err, &e) {
		fmt.Fprintf(w, "gridmap: %s\n", e.Message)
		if items, ok := e.Details.([]gridmap.ItemError); ok {
			for _, it := range items {
				fmt.Fprintf(w, "  %s\n", &it)
			}
		}
		if e.Code != gridmap.EINTERNAL {
			return
		}
	}
	fmt.Fprintf(w, "gridmap: %v\n", err)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
