package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// Work logs and patrol coverage (issue 15). A grid worker posts the day's
// log with pieces of its patrol track (JSON, or a GPX file as tracking
// apps export it); the server computes the micro-grids each piece passed
// through and flags implausible pieces, and stores both with the piece.
// A worker's name and track are personal data: admin and dispatcher read
// every log, a reporter its own; the patrol statistics carry neither.

// Limits of one upload.
const (
	maxTrackPieces = 200
	maxPiecePoints = 20000
	maxLogPeople   = 500
	maxLogCases    = 500
)

// gpxType is the media type of a GPX upload.
const gpxType = "application/gpx+xml"

// worklogBody is the JSON body of POST /api/v1/worklogs.
type worklogBody struct {
	Date   string      `json:"date"`
	Notes  string      `json:"notes"`
	People []string    `json:"visited_people"`
	Cases  []int64     `json:"case_ids"`
	Tracks []pieceBody `json:"tracks"`
}

// pieceBody is one track piece: points are [lon, lat, unix_seconds] or
// [lon, lat, unix_seconds, accuracy_metres].
type pieceBody struct {
	ID     string      `json:"id"`
	Points [][]float64 `json:"points"`
}

const worklogFields = `date (YYYY-MM-DD, China time; default today), notes, visited_people (names), case_ids, ` +
	`tracks ([{"id": "<your id of the piece>", "points": [[lon, lat, unix_seconds, accuracy_m?], ...]}])`

// writesWorklogs refuses the roles that keep no work log: a grid worker
// (reporter) writes its own, an admin any.
func writesWorklogs(p Principal) error {
	if p.Role == gridmap.RoleReporter || p.Role == gridmap.RoleAdmin {
		return nil
	}
	return gridmap.Errorf(gridmap.EFORBIDDEN, "work logs are written by grid workers (a reporter token) or an admin; this token's role is %s", p.Role)
}

// postWorklog answers POST /api/v1/worklogs: the caller's log of a day is
// created (201) or merged into (200), its new track pieces stored.
func (s *Server) postWorklog(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalFrom(r.Context())
	if err := writesWorklogs(p); err != nil {
		return err
	}
	in, err := s.readWorklog(r)
	if err != nil {
		return err
	}
	in.Worker, in.Role, in.Grid = gridmap.Actor{TokenID: p.TokenID, Name: p.Name}, p.Role, p.Grid
	if err := s.checkCases(r, in.Cases); err != nil {
		return err
	}
	return s.saveWorklog(w, r, in)
}

// postWorklogTracks answers POST /api/v1/worklogs/{id}/tracks: pieces
// appended to a stored log (the caller's own, or any for an admin); a
// piece whose id the log holds already is not stored again.
func (s *Server) postWorklogTracks(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalFrom(r.Context())
	if err := writesWorklogs(p); err != nil {
		return err
	}
	id, err := idVar(r, "work log")
	if err != nil {
		return err
	}
	in, err := s.readWorklog(r)
	if err != nil {
		return err
	}
	if in.Notes != "" || len(in.People) > 0 || len(in.Cases) > 0 || in.dateGiven {
		return gridmap.Errorf(gridmap.EINVALID, "POST /api/v1/worklogs/%d/tracks takes only tracks; post notes, people and cases to POST /api/v1/worklogs", id)
	}
	stored, err := s.worklogs.Worklog(r.Context(), id)
	if err != nil {
		return err
	}
	if p.Role != gridmap.RoleAdmin && stored.TokenID != p.TokenID {
		return gridmap.Errorf(gridmap.EFORBIDDEN, "work log %d is another worker's; add pieces to your own log (POST /api/v1/worklogs makes today's)", id)
	}
	in.Worker, in.Role, in.Grid, in.Day = gridmap.Actor{TokenID: stored.TokenID, Name: stored.Worker}, stored.Role, stored.GridScope, stored.Day
	return s.saveWorklog(w, r, in)
}

func (s *Server) saveWorklog(w http.ResponseWriter, r *http.Request, in worklogInput) error {
	out, created, err := s.worklogs.SaveWorklog(r.Context(), in.WorklogInput)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created || slices.ContainsFunc(out.Tracks, func(t gridmap.TrackPiece) bool { return t.Stored }) {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/api/v1/worklogs/"+strconv.FormatInt(out.ID, 10))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, worklogOut(&out, true, false))
	return nil
}

// worklogInput is a parsed upload.
type worklogInput struct {
	gridmap.WorklogInput
	dateGiven bool
}

// readWorklog reads a JSON or GPX body into a checked input, its pieces'
// visited grids and flags computed against the current grids.
func (s *Server) readWorklog(r *http.Request) (worklogInput, error) {
	var in worklogInput
	ix := s.indexOrNil()
	if ix == nil {
		return in, &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the grids are still loading; try again shortly"}
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var pieces []gridmap.TrackPiece
	if ct == gpxType || ct == "application/xml" || ct == "text/xml" {
		body, err := readBody(r)
		if err != nil {
			return in, err
		}
		if pieces, err = parseGPX(body); err != nil {
			return in, err
		}
		in.Day = gridmap.ChinaDay(pieces[0].Points[0].Time)
	} else {
		var b worklogBody
		if err := readJSON(r, &b, false); err != nil {
			var te *json.UnmarshalTypeError
			if gridmap.ErrorCode(err) != gridmap.EINVALID {
				return in, err // too large, or cut off
			}
			if errors.As(err, &te) {
				return in, gridmap.Errorf(gridmap.EINVALID, "%s has the wrong type; a work log takes %s", te.Field, worklogFields)
			}
			return in, gridmap.Errorf(gridmap.EINVALID, "%s; a work log takes %s, or a GPX file with Content-Type: %s", gridmap.ErrorMessage(err), worklogFields, gpxType)
		}
		if err := checkWorklogBody(&b); err != nil {
			return in, err
		}
		in.Day, in.dateGiven = b.Date, b.Date != ""
		in.Notes, in.People, in.Cases = b.Notes, b.People, b.Cases
		for i, pb := range b.Tracks {
			pc, err := pieceFromJSON(i, pb)
			if err != nil {
				return in, err
			}
			pieces = append(pieces, pc)
		}
	}
	if in.Day == "" {
		in.Day = gridmap.ChinaDay(time.Now())
	}
	if len(pieces) > maxTrackPieces {
		return in, gridmap.Errorf(gridmap.EINVALID, "%d track pieces in one upload; at most %d (send the rest in another)", len(pieces), maxTrackPieces)
	}
	micro := func(g *gridmap.Grid) bool { return g.Level == gridmap.LevelMicro }
	for i := range pieces {
		pc := &pieces[i]
		ls := make(orb.LineString, len(pc.Points))
		for j, q := range pc.Points {
			ls[j] = orb.Point{q.Lon, q.Lat}
		}
		pc.Start, pc.End = pc.Points[0].Time, pc.Points[len(pc.Points)-1].Time
		pc.Metres = geo.TrackMetres(ls)
		pc.Flags = ix.TrackFlags(pc.Points)
		pc.Grids, pc.GridMetres = []string{}, []float64{}
		for _, v := range ix.VisitedGrids(ls, micro) {
			pc.Grids = append(pc.Grids, v.Grid.Code)
			pc.GridMetres = append(pc.GridMetres, math.Round(v.Metres*10)/10)
		}
	}
	in.Tracks = pieces
	return in, nil
}

func checkWorklogBody(b *worklogBody) error {
	if b.Date != "" {
		d, err := time.ParseInLocation(time.DateOnly, b.Date, gridmap.ChinaTime)
		if err != nil {
			return gridmap.Errorf(gridmap.EINVALID, "date=%q is not a date; use YYYY-MM-DD (the China day of the log), or leave it out for today", b.Date)
		}
		if d.Before(trackEpoch) || d.After(time.Now()) {
			return gridmap.Errorf(gridmap.EINVALID, "date=%s is not a day from 2000 to today (China time); a log is kept for a day that has begun", b.Date)
		}
	}
	if err := gridmap.CheckText("notes", b.Notes, gridmap.MaxText, true); err != nil {
		return err
	}
	if len(b.People) > maxLogPeople {
		return gridmap.Errorf(gridmap.EINVALID, "visited_people has %d names; at most %d", len(b.People), maxLogPeople)
	}
	for i, n := range b.People {
		if err := gridmap.CheckText(fmt.Sprintf("visited_people[%d]", i), n, gridmap.MaxName, false); err != nil {
			return err
		}
		if strings.TrimSpace(n) == "" {
			return gridmap.Errorf(gridmap.EINVALID, "visited_people[%d] is empty; name the person visited", i)
		}
	}
	if len(b.Cases) > maxLogCases {
		return gridmap.Errorf(gridmap.EINVALID, "case_ids has %d ids; at most %d", len(b.Cases), maxLogCases)
	}
	for i, id := range b.Cases {
		if id <= 0 {
			return gridmap.Errorf(gridmap.EINVALID, "case_ids[%d] = %d is not a case id (ids are positive)", i, id)
		}
	}
	if len(b.Tracks) > maxTrackPieces {
		return gridmap.Errorf(gridmap.EINVALID, "%d track pieces in one upload; at most %d (send the rest in another)", len(b.Tracks), maxTrackPieces)
	}
	return nil
}

// pieceFromJSON checks piece i of a JSON upload.
func pieceFromJSON(i int, pb pieceBody) (gridmap.TrackPiece, error) {
	pc := gridmap.TrackPiece{ClientID: pb.ID}
	field := fmt.Sprintf("tracks[%d]", i)
	if pb.ID == "" {
		return pc, gridmap.Errorf(gridmap.EINVALID, `%s.id is missing: give each piece your own id (e.g. a UUID), so that a resend of it stores nothing twice`, field)
	}
	if err := gridmap.CheckText(field+".id", pb.ID, gridmap.MaxName, false); err != nil {
		return pc, err
	}
	if len(pb.Points) == 0 || len(pb.Points) > maxPiecePoints {
		return pc, gridmap.Errorf(gridmap.EINVALID, "%s has %d points; a piece has 1 to %d", field, len(pb.Points), maxPiecePoints)
	}
	for j, v := range pb.Points {
		if len(v) < 3 || len(v) > 4 {
			return pc, gridmap.Errorf(gridmap.EINVALID, "%s.points[%d] has %d numbers; a point is [lon, lat, unix_seconds] or [lon, lat, unix_seconds, accuracy_m]", field, j, len(v))
		}
		q := gridmap.TrackPoint{Lon: v[0], Lat: v[1]}
		if len(v) == 4 {
			q.Accuracy = v[3]
		}
		sec, frac := math.Modf(v[2])
		q.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
		if err := checkPoint(fmt.Sprintf("%s.points[%d]", field, j), q, v[2], pc.Points); err != nil {
			return pc, err
		}
		pc.Points = append(pc.Points, q)
	}
	return pc, nil
}

// trackEpoch and the hour of grace bound a point's time.
var trackEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// checkPoint checks a point (unix: its time as sent) after those before it.
func checkPoint(where string, q gridmap.TrackPoint, unix float64, before []gridmap.TrackPoint) error {
	if !(q.Lon >= -180 && q.Lon <= 180 && q.Lat >= -90 && q.Lat <= 90) {
		return gridmap.Errorf(gridmap.EINVALID, "%s: %v, %v is not a longitude, latitude in degrees (WGS84, EPSG:4326; lon first)", where, q.Lon, q.Lat)
	}
	if !(q.Accuracy >= 0 && q.Accuracy < 1e6) {
		return gridmap.Errorf(gridmap.EINVALID, "%s: accuracy %v must be metres, 0 or more (leave it out when unknown)", where, q.Accuracy)
	}
	if math.IsNaN(unix) || q.Time.Before(trackEpoch) || q.Time.After(time.Now().Add(time.Hour)) {
		return gridmap.Errorf(gridmap.EINVALID, "%s: time %v is not a unix time in seconds between 2000 and now", where, unix)
	}
	if n := len(before); n > 0 && q.Time.Before(before[n-1].Time) {
		return gridmap.Errorf(gridmap.EINVALID, "%s: its time %s is before the previous point's %s; send points in the order they were taken",
			where, q.Time.Format(time.RFC3339), before[n-1].Time.Format(time.RFC3339))
	}
	return nil
}

// gpxDoc is what a GPX file holds that a work log uses: track segments of
// timed points (waypoints and routes have no times and are ignored).
type gpxDoc struct {
	XMLName xml.Name `xml:"gpx"`
	Tracks  []struct {
		Segments []struct {
			Points []struct {
				Lat  string `xml:"lat,attr"`
				Lon  string `xml:"lon,attr"`
				Time string `xml:"time"`
			} `xml:"trkpt"`
		} `xml:"trkseg"`
	} `xml:"trk"`
}

// parseGPX reads a GPX 1.0 or 1.1 file: each trkseg is a piece, its id
// the SHA-256 of its points, so a resend of the same file stores nothing
// twice. GPX carries no accuracy in metres (hdop is not converted).
func parseGPX(body []byte) ([]gridmap.TrackPiece, error) {
	var doc gpxDoc
	dec := xml.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&doc); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, gridmap.Errorf(gridmap.EINVALID, "the GPX file is not well-formed XML (line %d: %s); send the file as the tracking app exported it", se.Line, se.Msg)
		}
		return nil, gridmap.Errorf(gridmap.EINVALID, "the body is not a GPX file (%v); send a <gpx> document with <trk><trkseg><trkpt lat lon><time>", err)
	}
	var pieces []gridmap.TrackPiece
	for ti, t := range doc.Tracks {
		for si, sg := range t.Segments {
			if len(sg.Points) == 0 {
				continue
			}
			field := fmt.Sprintf("trk[%d]/trkseg[%d]", ti+1, si+1)
			if len(sg.Points) > maxPiecePoints {
				return nil, gridmap.Errorf(gridmap.EINVALID, "%s has %d points; a segment has at most %d (split the track)", field, len(sg.Points), maxPiecePoints)
			}
			h := sha256.New()
			pc := gridmap.TrackPiece{}
			for pi, tp := range sg.Points {
				where := fmt.Sprintf("%s/trkpt[%d]", field, pi+1)
				lat, e1 := strconv.ParseFloat(strings.TrimSpace(tp.Lat), 64)
				lon, e2 := strconv.ParseFloat(strings.TrimSpace(tp.Lon), 64)
				if e1 != nil || e2 != nil {
					return nil, gridmap.Errorf(gridmap.EINVALID, "%s: lat=%q lon=%q are not numbers (decimal degrees, WGS84)", where, clip(tp.Lat), clip(tp.Lon))
				}
				if strings.TrimSpace(tp.Time) == "" {
					return nil, gridmap.Errorf(gridmap.EINVALID, "%s has no <time>; a patrol track needs the time of every point (export the track with times)", where)
				}
				at, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(tp.Time))
				if err != nil {
					return nil, gridmap.Errorf(gridmap.EINVALID, "%s: <time>%s</time> is not an ISO 8601 time such as 2026-11-25T01:30:00Z", where, clip(tp.Time))
				}
				q := gridmap.TrackPoint{Lon: lon, Lat: lat, Time: at.UTC()}
				if err := checkPoint(where, q, float64(at.Unix()), pc.Points); err != nil {
					return nil, err
				}
				pc.Points = append(pc.Points, q)
				fmt.Fprintf(h, "%v,%v,%d;", lon, lat, at.UnixNano())
			}
			pc.ClientID = "gpx-" + hex.EncodeToString(h.Sum(nil))[:32]
			pieces = append(pieces, pc)
		}
	}
	if len(pieces) == 0 {
		return nil, gridmap.Errorf(gridmap.EINVALID, "the GPX file holds no track points (<trk><trkseg><trkpt>); waypoints and routes carry no patrol")
	}
	return pieces, nil
}

// clip shortens a bad value quoted in an error.
func clip(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// checkCases checks that the linked cases exist and, for a grid worker's
// token, lie in its grids.
func (s *Server) checkCases(r *http.Request, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if s.incidents == nil {
		return &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "cases cannot be linked: this server stores no incidents"}
	}
	scope := s.writeScope(r)
	for _, id := range ids {
		in, err := s.incidents.Incident(r.Context(), id)
		if gridmap.ErrorCode(err) == gridmap.ENOTFOUND {
			return gridmap.Errorf(gridmap.EINVALID, "case_ids: there is no case %d; link cases by their id", id)
		}
		if err != nil {
			return err
		}
		if scope != nil {
			if err := scope(in.GridCode); err != nil {
				return gridmap.Errorf(gridmap.EFORBIDDEN, "case_ids: case %d: %s", id, gridmap.ErrorMessage(err))
			}
		}
	}
	return nil
}

// worklogJSON is a log as the API shows it.
type worklogJSON struct {
	ID        int64       `json:"id"`
	Worker    workerJSON  `json:"worker"`
	GridScope string      `json:"grid_scope,omitempty"`
	Date      string      `json:"date"`
	Notes     string      `json:"notes"`
	People    []string    `json:"visited_people"`
	CaseIDs   []int64     `json:"case_ids"`
	Grids     []string    `json:"grids"`
	Flags     []string    `json:"flags"`
	Metres    float64     `json:"metres"`
	Tracks    []pieceJSON `json:"tracks"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

type workerJSON struct {
	TokenID int64        `json:"token_id"`
	Name    string       `json:"name"`
	Role    gridmap.Role `json:"role"`
}

type pieceJSON struct {
	gridmap.TrackPiece
	Stored *bool        `json:"stored,omitempty"`
	Points [][4]float64 `json:"points,omitempty"` // lon, lat, unix seconds, accuracy (0: not given)
}

// worklogOut renders a log: the union of its pieces' grids and flags; the
// points only when asked for.
func worklogOut(w *gridmap.Worklog, stored, points bool) worklogJSON {
	out := worklogJSON{ID: w.ID, Worker: workerJSON{w.TokenID, w.Worker, w.Role}, GridScope: w.GridScope, Date: w.Day,
		Notes: w.Notes, People: w.People, CaseIDs: w.CaseIDs, Grids: []string{}, Flags: []string{}, Tracks: []pieceJSON{},
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	for _, t := range w.Tracks {
		pj := pieceJSON{TrackPiece: t}
		if stored {
			st := t.Stored
			pj.Stored = &st
		}
		if points {
			pj.Points = make([][4]float64, len(t.Points))
			for i, q := range t.Points {
				pj.Points[i] = [4]float64{q.Lon, q.Lat, float64(q.Time.UnixMilli()) / 1000, q.Accuracy}
			}
		}
		out.Tracks = append(out.Tracks, pj)
		out.Grids = append(out.Grids, t.Grids...)
		out.Flags = append(out.Flags, t.Flags...)
		out.Metres += t.Metres
	}
	slices.Sort(out.Grids)
	out.Grids = slices.Compact(out.Grids)
	slices.Sort(out.Flags)
	out.Flags = slices.Compact(out.Flags)
	out.Metres = math.Round(out.Metres*10) / 10
	return out
}

// readsWorklogs says whose logs the caller may read: every worker's
// (admin, dispatcher), its own (a reporter: tokenID), or none.
func readsWorklogs(p Principal) (all bool, tokenID int64, err error) {
	switch p.Role {
	case gridmap.RoleAdmin, gridmap.RoleDispatcher:
		return true, 0, nil
	case gridmap.RoleReporter:
		return false, p.TokenID, nil
	}
	return false, 0, gridmap.Errorf(gridmap.EFORBIDDEN, "work logs name their worker and track (personal data): admin, dispatcher and the worker itself read them; "+
		"patrol coverage without names is GET /api/v1/stats/patrol")
}

// getWorklog answers GET /api/v1/worklogs/{id}, its tracks' points included.
func (s *Server) getWorklog(w http.ResponseWriter, r *http.Request) error {
	all, own, err := readsWorklogs(PrincipalFrom(r.Context()))
	if err != nil {
		return err
	}
	id, err := idVar(r, "work log")
	if err != nil {
		return err
	}
	wl, err := s.worklogs.Worklog(r.Context(), id)
	if err != nil {
		return err
	}
	if !all && wl.TokenID != own {
		// Not told apart from a missing log: ids are not to be probed.
		return gridmap.Errorf(gridmap.ENOTFOUND, "work log %d not found among yours", id)
	}
	w.Header().Set("Cache-Control", "private, no-store")
	writeJSON(w, http.StatusOK, worklogOut(&wl, false, true))
	return nil
}

// listWorklogs answers GET /api/v1/worklogs?worker=&grid=&from=&to=&limit=.
func (s *Server) listWorklogs(w http.ResponseWriter, r *http.Request) error {
	all, own, err := readsWorklogs(PrincipalFrom(r.Context()))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := gridmap.WorklogFilter{Grid: q.Get("grid"), From: q.Get("from"), To: q.Get("to")}
	if v := q.Get("worker"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return gridmap.Errorf(gridmap.EINVALID, "worker=%q must be a worker's token id (a whole number; see worker.token_id in a log)", clip(v))
		}
		f.TokenID = id
	}
	if !all {
		if f.TokenID != 0 && f.TokenID != own {
			return gridmap.Errorf(gridmap.EFORBIDDEN, "worker=%d: a grid worker reads its own work logs only (worker=%d, or leave it out)", f.TokenID, own)
		}
		f.TokenID = own
	}
	for _, d := range []struct{ name, v string }{{"from", f.From}, {"to", f.To}} {
		if d.v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d.v); err != nil {
			return gridmap.Errorf(gridmap.EINVALID, "%s=%q is not a date; use YYYY-MM-DD (days of the logs, both ends included)", d.name, clip(d.v))
		}
	}
	if err := gridmap.CheckText("grid", f.Grid, gridmap.MaxName, false); err != nil {
		return err
	}
	if f.Limit, err = paramInt(q, "limit", 100, 1, 1000); err != nil {
		return err
	}
	logs, err := s.worklogs.Worklogs(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]worklogJSON, len(logs))
	for i := range logs {
		out[i] = worklogOut(&logs[i], false, false)
	}
	w.Header().Set("Cache-Control", "private, no-store")
	writeJSON(w, http.StatusOK, map[string]any{"worklogs": out})
	return nil
}

// patrolWindow reads from and to for the patrol endpoints: the 7 days up
// to now by default.
func patrolWindow(r *http.Request) (start, end time.Time, err error) {
	q := r.URL.Query()
	from, to, err := paramWindow(q)
	if err != nil {
		return start, end, err
	}
	end = time.Now()
	if to != nil {
		end = *to
	}
	start = end.Add(-7 * 24 * time.Hour)
	if from != nil {
		start = *from
	}
	if !end.After(start) {
		return start, end, gridmap.Errorf(gridmap.EINVALID, "from=%s must be before to (default: now)", q.Get("from"))
	}
	return start, end, nil
}

// patrolTile answers GET /tiles/patrol/{z}/{x}/{y}.mvt?from=&to=: the
// patrol tracks ended in the window (default: the last 7 days) as one
// line layer "patrol" with role, date, flags and metres; no worker name
// or token (a viewer's wall map may show it). Cut by PostGIS ST_AsMVT.
// An empty tile is 204.
func (s *Server) patrolTile(w http.ResponseWriter, r *http.Request) error {
	z, x, y, err := parseZXY(mux.Vars(r))
	if err != nil {
		return err
	}
	if z > 22 || x >= 1<<z || y >= 1<<z {
		return gridmap.Errorf(gridmap.EINVALID, "tile %d/%d/%d does not exist: z from 0 to 22, x and y from 0 to 2^z-1", z, x, y)
	}
	start, end, err := patrolWindow(r)
	if err != nil {
		return err
	}
	b, err := s.worklogs.PatrolTile(r.Context(), z, x, y, start, end)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	if len(b) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
	_, err = w.Write(b)
	return err
}

// patrolStatJSON is a grid's patrol in GET /api/v1/stats/patrol.
type patrolStatJSON struct {
	gridmap.PatrolStat
	Name string `json:"name"`
}

// patrolStats answers GET /api/v1/stats/patrol?level=micro&from=&to=: per
// current micro-grid, the logs whose tracks passed it (visits), the
// metres walked in it, the end of the last piece that passed it and the
// workers who did, zeros included. Default window: the last 7 days.
func (s *Server) patrolStats(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if level := q.Get("level"); level != "" && level != string(gridmap.LevelMicro) {
		return gridmap.Errorf(gridmap.EINVALID, "level=%q: patrol is kept per micro-grid; use level=micro (or leave it out)", clip(level))
	}
	ix := s.indexOrNil()
	if ix == nil {
		return &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the grids are still loading; try again shortly"}
	}
	start, end, err := patrolWindow(r)
	if err != nil {
		return err
	}
	byCode, err := s.worklogs.PatrolStats(r.Context(), start, end)
	if err != nil {
		return err
	}
	grids := ix.OfLevel(gridmap.LevelMicro)
	out := make([]patrolStatJSON, 0, len(grids))
	elsewhere := 0
	for _, g := range grids {
		st, ok := byCode[g.Code]
		if !ok {
			st = gridmap.PatrolStat{Grid: g.Code}
		}
		st.Metres = math.Round(st.Metres*10) / 10
		delete(byCode, g.Code)
		out = append(out, patrolStatJSON{PatrolStat: st, Name: g.Name})
	}
	for _, st := range byCode { // grids retired since the tracks were stored
		elsewhere += st.Visits
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{
		"level": gridmap.LevelMicro, "from": start.UTC(), "to": end.UTC(), "grids": out,
		// Visits of grids no longer current (a plan redrew them).
		"elsewhere": elsewhere,
	})
	return nil
}
