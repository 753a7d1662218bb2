// Command pgtiles is the baseline for the tile HTTP benchmarks
// (scripts/bench-tiles.sh): a tile server built the way pg_tileserv,
// tegola and martin build tiles, one PostGIS ST_AsMVT query per request
// (postgis.TileMVT), with no cache, serving GET /tiles/{z}/{x}/{y}.mvt of
// the current grids of every level.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/gridmap/gridmap/postgis"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18082", "listen address (loopback)")
	flag.Parse()
	st, err := postgis.Open(context.Background(), os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var zxy [3]uint32
		parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/tiles/"), ".mvt"), "/")
		if len(parts) != 3 {
			http.NotFound(w, r)
			return
		}
		for i, p := range parts {
			n, err := strconv.ParseUint(p, 10, 32)
			if err != nil {
				http.Error(w, "bad tile address", http.StatusBadRequest)
				return
			}
			zxy[i] = uint32(n)
		}
		tile, err := st.TileMVT(r.Context(), zxy[0], zxy[1], zxy[2], nil)
		if err != nil {
			http.Error(w, "tile failed", http.StatusInternalServerError)
			return
		}
		if len(tile) == 0 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
		w.Write(tile)
	})))
}
