package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/postgis"
)

const partitionsUsage = `usage:
  gridmap partitions list [--exact]
  gridmap partitions rollup [--month YYYY-MM | --before YYYY-MM]
  gridmap partitions archive --before YYYY-MM --to DIR

The monthly partitions of the cases (issue 17); months are calendar months
in China time. list: each month's partition, cases (the planner's estimate,
or counted with --exact), size, rollup and archive. rollup: remake the
monthly counts by grid, category and status (all months held, one month, or
those before one). archive: each month before --before, oldest first,
written to DIR/gridmap-incidents-YYYY-MM/ (gzipped CSV and manifest.json),
checked, then removed from the database; the current month and the one
before it are never archived. See README, "Partitions".`

// cmdPartitions lists, rolls up and archives the months of the cases.
func cmdPartitions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, partitionsUsage)
		return errors.New("gridmap partitions: say list, rollup or archive")
	}
	sub, rest := args[0], args[1:]
	fs := newFlags("partitions " + sub)
	var exact *bool
	var month, before, to *string
	switch sub {
	case "list":
		exact = fs.Bool("exact", false, "count each month's cases (a scan of each partition) instead of the planner's estimate")
	case "rollup":
		month = fs.String("month", "", "the one month to roll up, YYYY-MM")
		before = fs.String("before", "", "roll up every month held before this one, YYYY-MM")
	case "archive":
		before = fs.String("before", "", "archive every month held before this one, YYYY-MM (at most the month before the current one)")
		to = fs.String("to", "", "the directory the month directories are written to")
	default:
		fmt.Fprintln(stderr, partitionsUsage)
		return fmt.Errorf("gridmap partitions: unknown %q; say list, rollup or archive", sub)
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, partitionsUsage)
		return fmt.Errorf("gridmap partitions %s takes flags only", sub)
	}
	var one, upTo postgis.Month
	var err error
	if month != nil && *month != "" {
		if one, err = postgis.ParseMonth(*month); err != nil {
			return err
		}
	}
	if before != nil && *before != "" {
		if upTo, err = postgis.ParseMonth(*before); err != nil {
			return err
		}
	}
	now := time.Now()
	switch {
	case sub == "rollup" && !one.IsZero() && !upTo.IsZero():
		return errors.New("gridmap partitions rollup: give --month or --before, not both")
	case sub == "archive" && (upTo.IsZero() || *to == ""):
		fmt.Fprintln(stderr, partitionsUsage)
		return errors.New("gridmap partitions archive needs --before YYYY-MM and --to DIR")
	case sub == "archive":
		// Checked before the database is opened, so a wrong month is named at once.
		if cur := postgis.MonthOf(now); cur.Add(-1).Before(upTo) {
			return gridmap.Errorf(gridmap.EINVALID, "--before %s would archive %s: the current month (%s) and the one before it (%s) are never archived; the latest --before is %s",
				upTo, cur.Add(-1), cur, cur.Add(-1), cur.Add(-1))
		}
	}
	st, err := openStore(ctx, loadConfig())
	if err != nil {
		return err
	}
	defer st.Close()
	ms, err := st.Months(ctx, exact != nil && *exact)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		return printMonths(stdout, ms)
	case "rollup":
		var todo []postgis.Month
		for _, mi := range ms {
			held := mi.Partition != "" || mi.Exact && mi.ArchivedAt.IsZero() // a partition, or rows of a plain table
			// Months ahead (made early by migrate) have nothing to count yet.
			ahead := postgis.MonthOf(now).Before(mi.Month)
			if one.IsZero() && held && !ahead && (upTo.IsZero() || mi.Month.Before(upTo)) {
				todo = append(todo, mi.Month)
			}
		}
		if !one.IsZero() {
			todo = []postgis.Month{one}
		}
		rs, err := st.RollupMonths(ctx, todo)
		for _, r := range rs {
			if r.Frozen {
				fmt.Fprintf(stdout, "%s: archived; its rollup (%d cases) is kept as archived\n", r.Month, r.Incidents)
			} else {
				fmt.Fprintf(stdout, "%s: rolled up, %d cases\n", r.Month, r.Incidents)
			}
		}
		if err == nil && len(rs) == 0 {
			fmt.Fprintln(stdout, "no month to roll up")
		}
		return err
	}
	// archive
	n := 0
	for _, mi := range ms {
		if !mi.Month.Before(upTo) {
			break
		}
		if !mi.ArchivedAt.IsZero() {
			fmt.Fprintf(stdout, "%s: archived already on %s in %s; nothing done\n", mi.Month, mi.ArchivedAt.In(gridmap.ChinaTime).Format(time.DateTime), mi.ArchiveLocation)
			continue
		}
		if mi.Partition == "" {
			continue // a rollup of a month that has no partition: nothing to archive
		}
		res, err := st.ArchiveMonth(ctx, mi.Month, *to, now)
		if err != nil {
			return fmt.Errorf("archiving %s: %w", mi.Month, err)
		}
		if res.Done {
			fmt.Fprintf(stdout, "%s: archived already in %s; nothing done\n", mi.Month, res.Dir)
			continue
		}
		n++
		fmt.Fprintf(stdout, "%s: archived %d cases, %d steps to %s; partitions %s and %s detached and dropped (cases locked for %s)\n",
			mi.Month, res.Incidents, res.Steps, res.Dir, mi.Month.IncidentPartition(), mi.Month.StepPartition(), res.Exclusive.Round(time.Millisecond))
	}
	if n == 0 {
		fmt.Fprintf(stdout, "no month before %s left to archive\n", upTo)
	}
	return nil
}

func printMonths(w io.Writer, ms []postgis.MonthInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MONTH\tPARTITION\tCASES\tSIZE\tROLLUP\tARCHIVED")
	for _, mi := range ms {
		part, cases, size, rollup, archived := mi.Partition, "?", "", "-", "-"
		if part == "" {
			part = "-"
		}
		switch {
		case mi.Incidents >= 0 && mi.Exact:
			cases = fmt.Sprint(mi.Incidents)
		case mi.Incidents >= 0:
			cases = fmt.Sprintf("~%d", mi.Incidents)
		}
		if mi.Bytes > 0 {
			size = fmt.Sprintf("%.1f MB", float64(mi.Bytes)/(1<<20))
		}
		if !mi.RollupAt.IsZero() {
			rollup = fmt.Sprintf("%d cases at %s", mi.RollupIncidents, mi.RollupAt.In(gridmap.ChinaTime).Format(time.DateTime))
		}
		if !mi.ArchivedAt.IsZero() {
			archived = fmt.Sprintf("%d cases, %d steps at %s to %s", mi.ArchivedIncidents, mi.ArchivedSteps, mi.ArchivedAt.In(gridmap.ChinaTime).Format(time.DateTime), mi.ArchiveLocation)
			if !mi.Exact {
				cases = "-"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", mi.Month, part, cases, size, rollup, archived)
	}
	return tw.Flush()
}
