package gridmap

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// PlanStatus is where a plan is in its life: a draft is edited, validated
// and then published or discarded. Published and discarded plans no longer
// change.
type PlanStatus string

// The plan statuses.
const (
	PlanDraft     PlanStatus = "draft"
	PlanPublished PlanStatus = "published"
	PlanDiscarded PlanStatus = "discarded"
)

// Valid reports whether s is one of the plan statuses.
func (s PlanStatus) Valid() bool {
	return s == PlanDraft || s == PlanPublished || s == PlanDiscarded
}

// Plan is a planner's draft set of boundary changes (like a MapIt
// "generation"): built change by change, validated against the current map
// with the changes applied, then published in one transaction as new grid
// versions.
type Plan struct {
	ID     int64      `json:"id"`
	Title  string     `json:"title"`
	Status PlanStatus `json:"status"`
	// Revision counts the edits of the plan; the plan's ETag is made of
	// its id and revision.
	Revision  int64     `json:"revision"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// BaseDataVersion is the grid data version when the plan was created.
	BaseDataVersion int64 `json:"base_data_version"`
	// PublishedAt, PublishedBy and DataVersion (the grid data version the
	// publication produced) are set once published; Forced and ForceReason
	// say whether it was published over validation problems.
	PublishedAt *time.Time `json:"published_at,omitempty"`
	PublishedBy string     `json:"published_by,omitempty"`
	DataVersion int64      `json:"data_version,omitempty"`
	Forced      bool       `json:"forced,omitempty"`
	ForceReason string     `json:"force_reason,omitempty"`
	DiscardedAt *time.Time `json:"discarded_at,omitempty"`
	DiscardedBy string     `json:"discarded_by,omitempty"`
	// ChangeCount is the number of changes; Changes holds them where the
	// caller loaded them (nil in listings).
	ChangeCount int      `json:"change_count"`
	Changes     []Change `json:"changes,omitempty"`
}

// ETag returns the plan's strong entity tag, "p{id}.{revision}".
func (p *Plan) ETag() string { return fmt.Sprintf(`"p%d.%d"`, p.ID, p.Revision) }

// ChangeKind names what a change does to the map.
type ChangeKind string

// The kinds of change.
const (
	// ChangeReplace sets a grid's name, attributes and/or boundary.
	ChangeReplace ChangeKind = "replace"
	// ChangeAdd adds a new grid (Grid).
	ChangeAdd ChangeKind = "add"
	// ChangeSplit cuts grid Code into the parts Into; a part may keep the
	// code, otherwise the grid is retired.
	ChangeSplit ChangeKind = "split"
	// ChangeMerge joins the grids Codes into Grid; Grid may keep one of
	// their codes, the others are retired. Without a boundary Grid gets the
	// union of the merged boundaries.
	ChangeMerge ChangeKind = "merge"
	// ChangeRetire retires grid Code: it has no current version afterwards.
	ChangeRetire ChangeKind = "retire"
	// ChangeMove gives grid Code another parent (Parent; "" for none).
	ChangeMove ChangeKind = "move"
)

// ChangeKinds lists the kinds of change.
var ChangeKinds = []ChangeKind{ChangeReplace, ChangeAdd, ChangeSplit, ChangeMerge, ChangeRetire, ChangeMove}

// Change is one step of a plan. Which fields count depends on Kind (see
// the ChangeKind constants). Boundaries are EPSG:4326 MultiPolygons; in
// JSON they are GeoJSON geometry objects (Polygon or MultiPolygon).
type Change struct {
	Kind ChangeKind `json:"kind"`
	// Code is the existing grid changed (replace, split, retire, move).
	Code string `json:"code,omitempty"`
	// Codes are the existing grids merged (merge).
	Codes []string `json:"codes,omitempty"`
	// Name, Attributes and Boundary are what replace sets; nil keeps the
	// current value. Attributes replaces the whole object.
	Name       *string          `json:"name,omitempty"`
	Attributes map[string]any   `json:"attributes,omitempty"`
	Boundary   orb.MultiPolygon `json:"-"`
	// Parent is the new parent's code (move); "" makes the grid a root.
	Parent *string `json:"parent,omitempty"`
	// Grid is the grid added (add) or the result of a merge.
	Grid *GridDraft `json:"grid,omitempty"`
	// Into are the parts of a split, at least two.
	Into []GridDraft `json:"into,omitempty"`
	// Base holds, for every existing grid the change touches, the version
	// it was drafted against. A client may send the versions it read
	// (the number in a grid's ETag "g{version}"); the store fills in the
	// rest with the versions current when the change is added. A plan
	// whose base versions are no longer current is stale.
	Base map[string]int64 `json:"base,omitempty"`
}

// GridDraft is a grid as a change describes it. Empty fields of a split
// part or a merge result default to those of the grid split or the first
// grid merged; Level and Boundary are required for an added grid.
//
// Members, when given, are the people responsible for the grid once the
// plan is published (their grid_code is ignored). Without them a split
// part inherits the members of the grid split and a merge result the
// members of all the grids merged (each person once), so no new grid is
// left without someone responsible; an added grid has none.
type GridDraft struct {
	Code       string           `json:"code"`
	Name       string           `json:"name,omitempty"`
	Level      Level            `json:"level,omitempty"`
	Parent     *string          `json:"parent,omitempty"`
	Attributes map[string]any   `json:"attributes,omitempty"`
	Members    []Member         `json:"members,omitempty"`
	Boundary   orb.MultiPolygon `json:"-"`
}

// Touches returns the codes of existing grids the change reads or
// modifies (not the codes it creates), in order.
func (c *Change) Touches() []string {
	switch c.Kind {
	case ChangeMerge:
		return c.Codes
	case ChangeAdd:
		return nil
	}
	if c.Code == "" {
		return nil
	}
	return []string{c.Code}
}

// CheckText checks the text of a change as a client sent it (see
// TextProblem): codes, names, levels, parents and the members' fields are
// lines of at most MaxName characters, attributes as CheckJSONText.
// Errors: EINVALID naming the field, e.g. into[1].members[0].contact.
// Changes read back from the database are not checked again.
func (c *Change) CheckText() error {
	line := func(field, v string) error { return CheckText(field, v, MaxName, false) }
	if err := line("kind", string(c.Kind)); err != nil {
		return err
	}
	if err := line("code", c.Code); err != nil {
		return err
	}
	for i, code := range c.Codes {
		if err := line(fmt.Sprintf("codes[%d]", i), code); err != nil {
			return err
		}
	}
	if c.Name != nil {
		if err := line("name", *c.Name); err != nil {
			return err
		}
	}
	if c.Parent != nil {
		if err := line("parent", *c.Parent); err != nil {
			return err
		}
	}
	if err := CheckJSONText("attributes", c.Attributes); err != nil {
		return err
	}
	for code := range c.Base {
		if err := line("base key", code); err != nil {
			return err
		}
	}
	if c.Grid != nil {
		if err := c.Grid.checkText("grid."); err != nil {
			return err
		}
	}
	for i := range c.Into {
		if err := c.Into[i].checkText(fmt.Sprintf("into[%d].", i)); err != nil {
			return err
		}
	}
	return nil
}

// checkText checks a draft's text as Change.CheckText, naming fields
// after prefix.
func (d *GridDraft) checkText(prefix string) error {
	line := func(field, v string) error { return CheckText(prefix+field, v, MaxName, false) }
	for _, f := range []struct{ name, v string }{{"code", d.Code}, {"name", d.Name}, {"level", string(d.Level)}} {
		if err := line(f.name, f.v); err != nil {
			return err
		}
	}
	if d.Parent != nil {
		if err := line("parent", *d.Parent); err != nil {
			return err
		}
	}
	if err := CheckJSONText(prefix+"attributes", d.Attributes); err != nil {
		return err
	}
	for i, m := range d.Members {
		if err := m.CheckText(fmt.Sprintf("%smembers[%d].", prefix, i)); err != nil {
			return err
		}
	}
	return nil
}

// CheckText checks a member's fields as lines of at most MaxName
// characters, naming them after prefix. Errors: EINVALID.
func (m *Member) CheckText(prefix string) error {
	for _, f := range []struct{ name, v string }{{"grid_code", m.GridCode}, {"role", m.Role}, {"name", m.Name}, {"contact", m.Contact}} {
		if err := CheckText(prefix+f.name, f.v, MaxName, false); err != nil {
			return err
		}
	}
	return nil
}

// CheckText checks an edit's name, parent and attributes as
// Change.CheckText does. Errors: EINVALID.
func (e *GridEdit) CheckText() error {
	c := Change{Name: e.Name, Parent: e.Parent, Attributes: e.Attributes}
	return c.CheckText()
}

// geometryJSON decodes a GeoJSON Polygon or MultiPolygon geometry object
// into a MultiPolygon; null or absent gives nil.
func geometryJSON(raw json.RawMessage, field string) (orb.MultiPolygon, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return nil, Errorf(EINVALID, "%s is not a GeoJSON geometry: %v", field, err)
	}
	var mp orb.MultiPolygon
	switch c := g.Coordinates.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{c}
	case orb.MultiPolygon:
		mp = c
	default:
		return nil, Errorf(EINVALID, "%s is a %s; a boundary is a Polygon or MultiPolygon", field, g.Coordinates.GeoJSONType())
	}
	for _, poly := range mp {
		if len(poly) == 0 {
			return nil, Errorf(EINVALID, "%s has a polygon with no rings", field)
		}
		for _, ring := range poly {
			if len(ring) < 4 {
				return nil, Errorf(EINVALID, "%s has a ring of %d positions; a ring needs at least 4", field, len(ring))
			}
			if ring[0] != ring[len(ring)-1] {
				return nil, Errorf(EINVALID, "%s has a ring that is not closed (its first and last positions differ)", field)
			}
			for _, p := range ring {
				if math.IsNaN(p[0]) || math.IsNaN(p[1]) || p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
					return nil, Errorf(EINVALID, "%s has the position %v outside longitude -180…180, latitude -90…90 degrees", field, p)
				}
			}
		}
	}
	return mp, nil
}

func geometryRaw(mp orb.MultiPolygon) json.RawMessage {
	if mp == nil {
		return nil
	}
	b, _ := json.Marshal(geojson.NewGeometry(mp))
	return b
}

// strictDecode decodes b into v refusing unknown fields, with EINVALID
// errors that say where.
func strictDecode(b []byte, v any, what string) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return Errorf(EINVALID, "%s: %v", what, err)
	}
	return nil
}

type changeAlias Change

type changeJSON struct {
	changeAlias
	Boundary json.RawMessage `json:"boundary,omitempty"`
	Base     json.RawMessage `json:"base,omitempty"`
}

// MarshalJSON writes the change with Boundary as a GeoJSON geometry.
func (c Change) MarshalJSON() ([]byte, error) {
	j := changeJSON{changeAlias: changeAlias(c), Boundary: geometryRaw(c.Boundary)}
	if c.Base != nil {
		j.Base, _ = json.Marshal(c.Base)
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a change, refusing unknown fields; errors are EINVALID.
// base is read by parseBase.
func (c *Change) UnmarshalJSON(b []byte) error {
	var j changeJSON
	if err := strictDecode(b, &j, "change"); err != nil {
		return err
	}
	mp, err := geometryJSON(j.Boundary, "boundary")
	if err != nil {
		return err
	}
	*c = Change(j.changeAlias)
	c.Boundary = mp
	c.Base, err = parseBase(j.Base, c.Touches())
	return err
}

// parseBase reads a change's base: an object {code: version}, each version
// a number or the grid's ETag ("g123", quotes and all or not); or, for a
// change that touches one grid, that grid's version alone, a number or its
// ETag. Errors: EINVALID, saying the shapes.
func parseBase(raw json.RawMessage, touches []string) (map[string]int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	shapes := `base must be {"CODE": version} for each grid the change touches, the version being the number in the grid's ETag ("g123" → 123) or the ETag itself`
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err == nil {
		out := make(map[string]int64, len(obj))
		for code, v := range obj {
			n, ok := baseVersion(v)
			if !ok {
				return nil, Errorf(EINVALID, "base[%q] is %s, not a version; %s", code, v, shapes)
			}
			out[code] = n
		}
		return out, nil
	}
	n, ok := baseVersion(raw)
	switch {
	case !ok:
		return nil, Errorf(EINVALID, "base is %s; %s", raw, shapes)
	case len(touches) != 1:
		return nil, Errorf(EINVALID, "base is one version but the change touches %d grids (%s); %s", len(touches), strings.Join(touches, ", "), shapes)
	}
	return map[string]int64{touches[0]: n}, nil
}

// baseVersion reads one version of a base: a positive whole number, or a
// grid ETag "g123" (also with its quotes, as the header carries it).
func baseVersion(raw json.RawMessage) (int64, bool) {
	var n int64
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, n > 0
	}
	var tag string
	if err := json.Unmarshal(raw, &tag); err != nil {
		return 0, false
	}
	tag = strings.Trim(strings.TrimSpace(tag), `"`)
	digits, ok := strings.CutPrefix(tag, "g")
	if !ok {
		digits = tag
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, err == nil && n > 0
}

type draftAlias GridDraft

type draftJSON struct {
	draftAlias
	Boundary json.RawMessage `json:"boundary,omitempty"`
}

// MarshalJSON writes the draft with Boundary as a GeoJSON geometry.
func (d GridDraft) MarshalJSON() ([]byte, error) {
	return json.Marshal(draftJSON{draftAlias: draftAlias(d), Boundary: geometryRaw(d.Boundary)})
}

// UnmarshalJSON reads a draft, refusing unknown fields; errors are EINVALID.
func (d *GridDraft) UnmarshalJSON(b []byte) error {
	var j draftJSON
	if err := strictDecode(b, &j, "grid"); err != nil {
		return err
	}
	mp, err := geometryJSON(j.Boundary, "grid boundary")
	if err != nil {
		return err
	}
	*d = GridDraft(j.draftAlias)
	d.Boundary = mp
	return nil
}

// Tolerances tune the topology checks. Zero fields take the defaults
// (DefaultTolerances).
type Tolerances struct {
	// WidthM: an overlap, gap or part outside the parent whose mean width
	// (2·area/perimeter, metres on the WGS84 spheroid) is below this is
	// taken for digitising noise along a shared border and not reported.
	WidthM float64 `json:"width_m"`
	// SliverM2: a polygon part of a grid smaller than this (m²) is a
	// sliver; overlaps and gaps smaller than it are flagged sliver too.
	SliverM2 float64 `json:"sliver_m2"`
}

// DefaultTolerances are 10 cm and 100 m²: well under what a planner can
// draw on a map, and well over the floating-point seams between polygons
// that were cut from one another.
var DefaultTolerances = Tolerances{WidthM: 0.1, SliverM2: 100}

// WithDefaults returns t with zero fields set from DefaultTolerances.
func (t Tolerances) WithDefaults() Tolerances {
	if t.WidthM <= 0 {
		t.WidthM = DefaultTolerances.WidthM
	}
	if t.SliverM2 <= 0 {
		t.SliverM2 = DefaultTolerances.SliverM2
	}
	return t
}

// ProblemKind names a kind of topology problem.
type ProblemKind string

// The topology problems. The first group is fatal: a map with them cannot
// be published, forced or not, because the store or the index would break.
// The second group refuses a publication unless an admin forces it.
const (
	ProblemInvalidGeometry ProblemKind = "invalid_geometry" // fatal; Location says where (ST_IsValidDetail)
	ProblemEmpty           ProblemKind = "empty"            // fatal: a boundary with no area
	ProblemMalformedCode   ProblemKind = "malformed_code"   // fatal: not 1–64 letters, digits, - or _
	ProblemDuplicateCode   ProblemKind = "duplicate_code"   // fatal: a code used twice
	ProblemUnknownLevel    ProblemKind = "unknown_level"    // fatal
	ProblemUnknownParent   ProblemKind = "unknown_parent"   // fatal: the parent is not a current grid
	ProblemParentLevel     ProblemKind = "parent_level"     // fatal: a parent not above its child (or a cycle)

	ProblemOverlap       ProblemKind = "overlap"        // two grids of one level overlap
	ProblemGap           ProblemKind = "gap"            // part of a parent no child covers
	ProblemOutsideParent ProblemKind = "outside_parent" // part of a grid outside its parent
	ProblemSliver        ProblemKind = "sliver"         // a polygon part under the minimum area
)

// Fatal reports whether a problem of kind k blocks publication even when
// forced.
func (k ProblemKind) Fatal() bool {
	switch k {
	case ProblemOverlap, ProblemGap, ProblemOutsideParent, ProblemSliver:
		return false
	}
	return true
}

// Problem is one topology problem, with the grids it concerns, its area
// and its geometry (EPSG:4326) so a map can draw it.
type Problem struct {
	Kind ProblemKind `json:"kind"`
	// Codes are the grids concerned: the two overlapping grids, the
	// parent with a gap, the grid and its parent for a part outside.
	Codes   []string `json:"codes"`
	Level   Level    `json:"level,omitempty"`
	Message string   `json:"message"`
	// AreaM2 is the area in m² on the WGS84 spheroid (overlap, gap,
	// outside, sliver); WidthM the mean width in metres (2·area/perimeter).
	AreaM2 float64 `json:"area_m2,omitempty"`
	WidthM float64 `json:"width_m,omitempty"`
	// Sliver is true for an overlap or gap smaller than the sliver area.
	Sliver bool `json:"sliver,omitempty"`
	// Location is a point on the problem, [lon, lat]: where the geometry
	// is invalid, or a point on the problem's area.
	Location *[2]float64 `json:"location,omitempty"`
	// Geometry is the problem's polygon(s), or the point of an invalid
	// geometry, or nil.
	Geometry orb.Geometry `json:"-"`
}

// Fatal reports whether the problem blocks publication even when forced.
func (p *Problem) Fatal() bool { return p.Kind.Fatal() }

// TopologyReport is the result of validating a map or a plan.
type TopologyReport struct {
	// Grids is the number of grids checked (for a plan: the grids it
	// changes; their neighbours, parents and children are read too).
	Grids      int        `json:"grids_checked"`
	Tolerances Tolerances `json:"tolerances"`
	Problems   []Problem  `json:"problems"`
	// Took is how long the checks ran.
	Took time.Duration `json:"-"`
}

// Valid reports whether the report has no problems.
func (r *TopologyReport) Valid() bool { return len(r.Problems) == 0 }

// Fatal returns the number of fatal problems.
func (r *TopologyReport) Fatal() int {
	n := 0
	for i := range r.Problems {
		if r.Problems[i].Fatal() {
			n++
		}
	}
	return n
}

// Counts returns the number of problems of each kind.
func (r *TopologyReport) Counts() map[ProblemKind]int {
	m := map[ProblemKind]int{}
	for _, p := range r.Problems {
		m[p.Kind]++
	}
	return m
}

// Sort orders the problems by kind (fatal kinds first), then codes.
func (r *TopologyReport) Sort() {
	rank := map[ProblemKind]int{}
	for i, k := range []ProblemKind{ProblemInvalidGeometry, ProblemEmpty, ProblemMalformedCode, ProblemDuplicateCode,
		ProblemUnknownLevel, ProblemUnknownParent, ProblemParentLevel, ProblemOverlap, ProblemGap, ProblemOutsideParent, ProblemSliver} {
		rank[k] = i
	}
	sort.SliceStable(r.Problems, func(i, j int) bool {
		a, b := &r.Problems[i], &r.Problems[j]
		if a.Kind != b.Kind {
			return rank[a.Kind] < rank[b.Kind]
		}
		for k := 0; k < len(a.Codes) && k < len(b.Codes); k++ {
			if a.Codes[k] != b.Codes[k] {
				return a.Codes[k] < b.Codes[k]
			}
		}
		if len(a.Codes) != len(b.Codes) {
			return len(a.Codes) < len(b.Codes)
		}
		return a.AreaM2 > b.AreaM2
	})
}

// MarshalJSON writes the report as a GeoJSON FeatureCollection, one
// Feature per problem (its geometry, or null), with the summary as foreign
// members: valid, fatal, counts, grids_checked, tolerances, took_ms.
func (r TopologyReport) MarshalJSON() ([]byte, error) {
	features := make([]*geojson.Feature, len(r.Problems))
	for i := range r.Problems {
		p := &r.Problems[i]
		f := &geojson.Feature{Type: "Feature", Properties: geojson.Properties{}}
		if p.Geometry != nil {
			f.Geometry = p.Geometry
		}
		b, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &f.Properties); err != nil {
			return nil, err
		}
		f.Properties["fatal"] = p.Fatal()
		features[i] = f
	}
	counts := r.Counts()
	if counts == nil {
		counts = map[ProblemKind]int{}
	}
	return json.Marshal(struct {
		Type       string              `json:"type"`
		Valid      bool                `json:"valid"`
		Fatal      int                 `json:"fatal"`
		Counts     map[ProblemKind]int `json:"counts"`
		Grids      int                 `json:"grids_checked"`
		Tolerances Tolerances          `json:"tolerances"`
		TookMS     int64               `json:"took_ms"`
		Features   []*geojson.Feature  `json:"features"`
	}{"FeatureCollection", r.Valid(), r.Fatal(), counts, r.Grids, r.Tolerances, r.Took.Milliseconds(), features})
}

// Conflict names a grid a plan was drafted against that has changed since:
// CurrentVersion is its version now, 0 when it has been retired.
type Conflict struct {
	Code           string `json:"code"`
	BaseVersion    int64  `json:"base_version"`
	CurrentVersion int64  `json:"current_version"`
}

// Impact is what publishing a plan would do to incidents and grids.
type Impact struct {
	// Moved incidents would change grid; MovedOpen of them are open
	// (not yet resolved) cases.
	Moved     int `json:"moved"`
	MovedOpen int `json:"moved_open"`
	// Flows counts the moves by (from, to) grid; "" is outside every grid.
	Flows []IncidentFlow `json:"flows"`
	// OpenCases lists the open cases that change their responsible grid
	// (at most MaxListedCases; MovedOpen has the total).
	OpenCases []MovedIncident `json:"open_cases"`
	// Added, Changed and Retired are the grid codes the plan creates,
	// gives a new version and retires.
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Retired []string `json:"retired"`
	// RetiredMembers counts, per retired grid, the people responsible for
	// it who go to no other grid (a plain retire): they need assigning.
	// The members of a grid split or merged away move to the new grids.
	RetiredMembers map[string]int `json:"retired_members"`
	// Members lists the grids whose people responsible the plan changes,
	// with how many they have before and after publication.
	Members []MemberChange `json:"members"`
	// Reparented lists the grids that get another parent because their
	// parent is merged or split away (their codes are also in Changed).
	Reparented []Reparented `json:"reparented"`
	// Reused lists the codes in Added that belonged to grids retired
	// earlier: the new grid continues that code's history (right when
	// undoing a merge, a surprise otherwise).
	Reused []ReusedCode `json:"reused"`
}

// ReusedCode is a retired grid's code that a plan gives to a new grid.
type ReusedCode struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"` // the retired grid's last name
	RetiredAt time.Time `json:"retired_at"`
}

// Reparented is a grid a plan moves to another parent without a change of
// its own: its parent was merged into To, or split and To is the part
// that holds it.
type Reparented struct {
	Code string `json:"code"`
	From string `json:"from"`
	To   string `json:"to"`
}

// MemberChange is a grid whose people responsible a plan changes: Before
// and After count them; From are the grids the people come from.
type MemberChange struct {
	Code   string   `json:"code"`
	Before int      `json:"before"`
	After  int      `json:"after"`
	From   []string `json:"from"`
}

// MaxListedCases bounds Impact.OpenCases.
const MaxListedCases = 1000

// IncidentFlow is the number of incidents that would move from one grid
// to another.
type IncidentFlow struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Incidents int    `json:"incidents"`
	Open      int    `json:"open"`
}

// MovedIncident is an incident that a plan moves to another grid.
type MovedIncident struct {
	ID         int64    `json:"id"`
	ExternalID string   `json:"external_id"`
	Category   Category `json:"category"`
	Status     Status   `json:"status"`
	From       string   `json:"from"`
	To         string   `json:"to"`
}

// PublishOptions says who publishes and whether over validation problems.
// The HTTP layer fills Actor from the request's token (issue 7), or from
// the body when the request has none, and lets only an admin token force.
type PublishOptions struct {
	Actor string
	// Force publishes despite non-fatal validation problems; ForceReason
	// is then required and is kept in the audit log.
	Force       bool
	ForceReason string
	// IfRevision, when non-zero, must be the plan's current revision.
	IfRevision int64
}

// PublishResult is what a publication did.
type PublishResult struct {
	Plan Plan `json:"plan"`
	// DataVersion is the grid data version after the publication.
	DataVersion int64 `json:"data_version"`
	// Versions are the grid versions written, by code.
	Versions map[string]int64 `json:"versions"`
	Retired  []string         `json:"retired"`
	// Reassigned is the number of incidents moved to another grid (each
	// has a log row naming the old grid, the new grid and the plan).
	Reassigned int `json:"reassigned"`
	// Problems are the validation problems published over (forced).
	Problems int   `json:"problems"`
	AuditID  int64 `json:"audit_id"`
}

// GridVersion is one version of a grid in its history, with the plan and
// person that made it where a plan did.
type GridVersion struct {
	Grid
	// PlanID is the plan that wrote this version (0 for an import or the
	// demo); PublishedBy who published it; Forced whether over problems.
	PlanID      int64  `json:"plan_id,omitempty"`
	PlanTitle   string `json:"plan_title,omitempty"`
	PublishedBy string `json:"published_by,omitempty"`
	Forced      bool   `json:"forced,omitempty"`
	// RetiredByPlan is the plan that closed the version, if one did.
	RetiredByPlan int64 `json:"retired_by_plan,omitempty"`
}

// GridEdit is a direct edit of one grid: the fields to change, nil to keep.
type GridEdit struct {
	Name       *string
	Attributes map[string]any
	Boundary   orb.MultiPolygon
	Parent     *string
}

// PlanService drafts, validates and publishes plans. Implemented by
// postgis.Plans.
type PlanService interface {
	// CreatePlan starts an empty draft.
	CreatePlan(ctx context.Context, title, actor string) (Plan, error)
	// Plan returns a plan with its changes. Errors: ENOTFOUND.
	Plan(ctx context.Context, id int64) (Plan, error)
	// ListPlans returns the plans with the status ("" for all), newest
	// first, without their changes.
	ListPlans(ctx context.Context, status PlanStatus) ([]Plan, error)
	// AddChanges appends changes to a draft and returns the plan.
	// ifRevision, when non-zero, must be the plan's revision.
	// Errors: ENOTFOUND, EINVALID (a change that cannot apply),
	// ECONFLICT (not a draft; a stale base version), EPRECONDITION.
	AddChanges(ctx context.Context, id int64, ifRevision int64, changes []Change) (Plan, error)
	// RemoveChange removes the change at position seq (1-based) of a draft.
	RemoveChange(ctx context.Context, id int64, ifRevision int64, seq int) (Plan, error)
	// ValidatePlan checks the current map with the plan applied, reporting
	// the problems that concern the grids the plan changes.
	// Errors: ENOTFOUND, ECONFLICT (stale; Details []Conflict).
	ValidatePlan(ctx context.Context, id int64, tol Tolerances) (TopologyReport, error)
	// PlanImpact says which incidents the plan would move.
	PlanImpact(ctx context.Context, id int64) (Impact, error)
	// PublishPlan publishes a draft in one transaction.
	// Errors: ENOTFOUND; ECONFLICT when stale (Details []Conflict), when
	// validation fails (Details TopologyReport) and not forced, or when
	// not a draft; EINVALID for a force without a reason; EPRECONDITION.
	PublishPlan(ctx context.Context, id int64, opts PublishOptions) (PublishResult, error)
	// DiscardPlan ends a draft without publishing it.
	DiscardPlan(ctx context.Context, id int64, actor string, ifRevision int64) (Plan, error)
	// EditGrid changes one grid directly, as a one-change plan published at
	// once, if ifVersion is still its current version.
	// Errors: ENOTFOUND, EPRECONDITION (ifVersion is not current),
	// ECONFLICT (validation failed), EINVALID.
	EditGrid(ctx context.Context, code string, ifVersion int64, e GridEdit, opts PublishOptions) (PublishResult, error)
	// GridHistory returns every version of a grid, oldest first.
	// Errors: ENOTFOUND.
	GridHistory(ctx context.Context, code string) ([]GridVersion, error)
	// ValidateMap checks the current map (one level, or all for "").
	ValidateMap(ctx context.Context, level Level, tol Tolerances) (TopologyReport, error)
}
