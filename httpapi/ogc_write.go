package httpapi

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/paulmach/orb/geojson"
)

// The writers of /ogc's JSON answers: a document at once (ogcJSON), or a
// FeatureCollection streamed feature by feature (fcWriter).

// ogcJSON writes v as one JSON document of media type media.
func ogcJSON(w http.ResponseWriter, r *http.Request, media string, v any) error {
	w.Header().Set("Content-Type", media)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Vary", "Accept")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// fcWriter streams a GeoJSON FeatureCollection with the OGC members. The
// status and headers go out with the first feature, so an error before it
// is still a proper problem response.
type fcWriter struct {
	w       http.ResponseWriter
	bw      *bufio.Writer
	n       int
	matched int // -1: unknown
}

func newFCWriter(w http.ResponseWriter, matched int) *fcWriter {
	return &fcWriter{w: w, matched: matched}
}

func (fw *fcWriter) count() int {
	if fw == nil {
		return 0
	}
	return fw.n
}

func (fw *fcWriter) begin() {
	h := fw.w.Header()
	h.Set("Content-Type", geoJSONType)
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept")
	fw.bw = bufio.NewWriterSize(fw.w, 64<<10)
	fw.bw.WriteString(`{"type":"FeatureCollection",`)
	if fw.matched >= 0 {
		fw.bw.WriteString(`"numberMatched":` + strconv.Itoa(fw.matched) + `,`)
	}
	fw.bw.WriteString(`"features":[`)
}

func (fw *fcWriter) add(f *geojson.Feature) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if fw.bw == nil {
		fw.begin()
	} else {
		fw.bw.WriteByte(',')
	}
	fw.n++
	_, err = fw.bw.Write(b)
	return err
}

func (fw *fcWriter) finish(links []ogcLink) error {
	lb, err := json.Marshal(links)
	if err != nil {
		return err
	}
	fw.bw.WriteString(`],"numberReturned":` + strconv.Itoa(fw.n))
	fw.bw.WriteString(`,"timeStamp":"` + time.Now().UTC().Format(time.RFC3339) + `","links":`)
	fw.bw.Write(lb)
	fw.bw.WriteString("}\n")
	return fw.bw.Flush()
}
