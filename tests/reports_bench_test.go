package tests

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/report"
)

// BenchmarkDailyReport: the daily bulletin of a demo day (a year of demo
// incidents, the demo street): build+pdf is BuildDaily and DailyPDF from
// incidents already listed (the font loaded before the timer); http-pdf
// and http-json the whole request, listing from PostGIS included, the
// JSON one being the baseline of what the PDF adds.
func BenchmarkDailyReport(b *testing.B) {
	srv, a := instance(b, demoIncidentsDB(b))
	ctx := context.Background()
	date := time.Now().In(gridmap.ChinaTime).AddDate(0, 0, -2).Format(time.DateOnly)
	day, _ := report.DayStart(date)
	ix, _ := a.Live.Index()
	var incs []gridmap.Incident
	for _, f := range report.DailyWindow(day) {
		if err := a.Store.ListIncidents(ctx, f, func(in gridmap.Incident) error { incs = append(incs, in); return nil }); err != nil {
			b.Fatal(err)
		}
	}
	fonts := report.NewFonts("")
	if _, err := report.DailyPDF(report.BuildDaily(day, incs, ix, time.Now()), ix, report.Labels{}, fonts); err != nil {
		b.Fatal(err)
	}
	b.Run("build+pdf", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d := report.BuildDaily(day, incs, ix, time.Now())
			if _, err := report.DailyPDF(d, ix, report.Labels{}, fonts); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, format := range []string{"pdf", "json"} {
		url := srv.URL + "/api/v1/reports/daily?date=" + date + "&format=" + format
		b.Run("http-"+format, func(b *testing.B) {
			for b.Loop() {
				resp, err := http.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", url, resp.StatusCode)
				}
			}
		})
	}
}
