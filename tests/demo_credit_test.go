package tests

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestDemoCasesCredited: the demo's work logs credit each case a grid
// worker reported to a worker of its micro-grid, through the worker's demo
// token, so the worker rankings count the cases raised; other sources stay
// uncredited.
func TestDemoCasesCredited(t *testing.T) {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, withDemoWorklogs(t, demoIncidentsDB(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var total, uncredited, wrong, others, workers int
	if err := c.QueryRow(ctx, `
SELECT count(*) FILTER (WHERE i.source = 'grid_worker'),
       count(*) FILTER (WHERE i.source = 'grid_worker' AND i.created_by_token IS NULL),
       count(*) FILTER (WHERE i.source = 'grid_worker' AND i.created_by_token IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM grid_member m JOIN api_token k ON k.name = m.name
           WHERE m.grid_code = i.grid_code AND m.role = 'worker' AND k.id = i.created_by_token AND i.created_by = k.name)),
       count(*) FILTER (WHERE i.source <> 'grid_worker' AND i.created_by_token IS NOT NULL),
       count(DISTINCT i.created_by_token)
FROM incident i WHERE i.grid_code IN (SELECT grid_code FROM grid_member WHERE role = 'worker')`).Scan(&total, &uncredited, &wrong, &others, &workers); err != nil {
		t.Fatal(err)
	}
	if total < 1000 || uncredited != 0 || wrong != 0 || others != 0 || workers < 20 {
		t.Errorf("grid workers' cases: %d, %d uncredited, %d credited to someone not a worker of the grid; %d of other sources credited; %d workers credited",
			total, uncredited, wrong, others, workers)
	}
	t.Logf("%d cases credited to %d workers", total, workers)
}
