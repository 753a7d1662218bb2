package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
)

// ogcColl is one collection: the grids of a level, or the incident counts
// per grid of a level.
type ogcColl struct {
	ID     string
	Counts bool
	Level  gridmap.Level
}

// levelLabels are the titles of the built-in levels.
var levelLabels = map[gridmap.Level]string{
	gridmap.LevelStreet:  "街道 streets",
	gridmap.LevelVillage: "村/社区 villages and communities",
	gridmap.LevelMicro:   "微网格 micro-grids",
}

func levelLabel(l gridmap.Level) string {
	if s, ok := levelLabels[l]; ok {
		return s
	}
	return "grids of level " + string(l)
}

// hasCounts reports whether the incident-count collections are served.
func (s *Server) hasCounts() bool { return s.incidents != nil && s.heat != nil }

// ogcColls lists the collections: the grids of each level, then the
// incident counts of each level when incidents are served.
func (s *Server) ogcColls(r *http.Request) ([]ogcColl, error) {
	levels, err := s.grids.Levels(r.Context())
	if err != nil {
		return nil, err
	}
	var cs []ogcColl
	for _, l := range levels {
		cs = append(cs, ogcColl{ID: gridsPrefix + string(l), Level: l})
	}
	if s.hasCounts() {
		for _, l := range levels {
			cs = append(cs, ogcColl{ID: countsPrefix + string(l), Counts: true, Level: l})
		}
	}
	return cs, nil
}

// ogcFind returns the collection named by the route. Errors: ENOTFOUND.
func (s *Server) ogcFind(r *http.Request) (ogcColl, error) {
	id := mux.Vars(r)["collectionId"]
	cs, err := s.ogcColls(r)
	if err != nil {
		return ogcColl{}, err
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		if c.ID == id {
			return c, nil
		}
		ids[i] = c.ID
	}
	return ogcColl{}, gridmap.Errorf(gridmap.ENOTFOUND, "no collection %q; the collections are %s", id, strings.Join(ids, ", "))
}

type ogcCollectionDoc struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	ItemType    string     `json:"itemType"`
	Extent      *ogcExtent `json:"extent,omitempty"`
	Links       []ogcLink  `json:"links"`
}

type ogcExtent struct {
	Spatial  ogcSpatial   `json:"spatial"`
	Temporal *ogcTemporal `json:"temporal,omitempty"`
}

type ogcSpatial struct {
	BBox [][4]float64 `json:"bbox"`
	CRS  string       `json:"crs"`
}

type ogcTemporal struct {
	Interval [][2]*time.Time `json:"interval"`
	TRS      string          `json:"trs"`
}

// levelExtent is the bounding box and earliest valid_from of the current
// grids of one level.
type levelExtent struct {
	bound orb.Bound
	first time.Time
}

// levelExtents computes the extent of every level in the current index, in
// one pass (nil while the index loads).
func (s *Server) levelExtents() map[gridmap.Level]*levelExtent {
	ix := s.indexOrNil()
	if ix == nil {
		return nil
	}
	out := map[gridmap.Level]*levelExtent{}
	for i := range ix.Len() {
		g := ix.At(i)
		if len(g.Boundary) == 0 {
			continue
		}
		e := out[g.Level]
		if e == nil {
			e = &levelExtent{bound: g.Boundary.Bound(), first: g.ValidFrom}
			out[g.Level] = e
		} else {
			e.bound = e.bound.Union(g.Boundary.Bound())
			if g.ValidFrom.Before(e.first) {
				e.first = g.ValidFrom
			}
		}
	}
	return out
}

// collectionDoc describes c, with its extent from exts (see levelExtents;
// left out when nil).
func (s *Server) collectionDoc(r *http.Request, c ogcColl, exts map[gridmap.Level]*levelExtent) ogcCollectionDoc {
	base := s.baseURL(r)
	path := "/ogc/collections/" + url.PathEscape(c.ID)
	d := ogcCollectionDoc{ID: c.ID, ItemType: "feature"}
	if c.Counts {
		d.Title = "事件统计 incident counts: " + levelLabel(c.Level)
		d.Description = "The current " + string(c.Level) + " grids with the number of incidents in each (its own and those of every grid below it); no personal data. " +
			"Properties: incidents (matching datetime, category and status), open (matching datetime and category, not yet resolved), and one count per category (matching datetime and status). " +
			"datetime is the reporting window, e.g. 2026-01-01T00:00:00+08:00/2026-02-01T00:00:00+08:00; category=dispute,hazard and status=open or reported,accepted,… narrow the counts."
	} else {
		d.Title = levelLabel(c.Level)
		d.Description = "The " + string(c.Level) + " grids: code, name, level, parent code, grid_id, version, valid_from, valid_to and attributes. " +
			"Current by default; datetime=INSTANT gives the grids as they were then. parent=CODE keeps the children of one grid."
	}
	if e := exts[c.Level]; e != nil {
		b := e.bound
		d.Extent = &ogcExtent{Spatial: ogcSpatial{BBox: [][4]float64{{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}}, CRS: crs84}}
		if !c.Counts {
			first := e.first
			d.Extent.Temporal = &ogcTemporal{Interval: [][2]*time.Time{{&first, nil}}, TRS: "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
		}
	}
	d.Links = []ogcLink{
		{Href: base + path, Rel: "self", Type: jsonType, Title: "this collection"},
		{Href: base + path + "?f=html", Rel: "alternate", Type: htmlType, Title: "this collection as HTML"},
		{Href: base + path + "/items", Rel: "items", Type: geoJSONType, Title: "the features as GeoJSON"},
		{Href: base + path + "/items?f=html", Rel: "items", Type: htmlType, Title: "the features as HTML"},
	}
	return d
}
