package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap"
)

// Plans (issue 6): planners draft boundary changes, validate them, see
// their impact and publish them; grid history, direct grid edits with
// If-Match, the topology report of the current map, and lookups as of a
// past time.
//
// Who acts (issue 7): a request with a token acts as the token's holder
// (PrincipalFrom; the body's "actor" is ignored) and only an admin token
// may force a publication. A request without a token (auth not configured)
// acts as the body's "actor".

// planAPI is the plan routes' state: the service and the maps of past
// times for lookups with as_of.
type planAPI struct {
	svc  gridmap.PlanService
	past PastMaps
}

// decodeStrict decodes JSON into v, refusing unknown fields; errors are
// EINVALID (or the *gridmap.Error a custom decoder returned).
func decodeStrict(body []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var ge *gridmap.Error
		if errors.As(err, &ge) {
			return ge
		}
		return gridmap.Errorf(gridmap.EINVALID, "the JSON body is malformed: %v", err)
	}
	return nil
}

// readJSON decodes a JSON request body into v, refusing unknown fields. An
// empty body leaves v as it is when optional.
func readJSON(r *http.Request, v any, optional bool) error {
	body, err := readJSONBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return gridmap.Errorf(gridmap.EINVALID, "the request needs a JSON body")
	}
	return decodeStrict(body, v)
}

// checkLines checks pairs of field name and value as one-line texts of
// at most gridmap.MaxName characters. Errors: EINVALID naming the field.
func checkLines(fieldValues ...string) error {
	for i := 0; i+1 < len(fieldValues); i += 2 {
		if err := gridmap.CheckText(fieldValues[i], fieldValues[i+1], gridmap.MaxName, false); err != nil {
			return err
		}
	}
	return nil
}

// planTarget reads the plan id and If-Match revision of a plan write.
func planTarget(r *http.Request) (id, rev int64, err error) {
	if id, err = idVar(r, "plan"); err != nil {
		return 0, 0, err
	}
	rev, err = ifRevision(r, id)
	return id, rev, err
}

// ifRevision reads If-Match for a plan: `"p{id}.{revision}"` gives the
// revision; no header gives 0 (no precondition). A tag of another plan or
// a weak tag can never match: EPRECONDITION.
func ifRevision(r *http.Request, id int64) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	var pid, rev int64
	if _, err := fmt.Sscanf(h, `"p%d.%d"`, &pid, &rev); err != nil || pid != id || rev <= 0 {
		return 0, gridmap.Errorf(gridmap.EPRECONDITION, "If-Match %s is not an ETag of plan %d (they look like \"p%d.3\")", h, id, id)
	}
	return rev, nil
}

func writePlan(w http.ResponseWriter, status int, pl *gridmap.Plan) {
	w.Header().Set("ETag", pl.ETag())
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, status, pl)
}

// createPlan answers POST /api/v1/plans {"title", "actor"}: 201 with the
// new draft.
func (s *Server) createPlan(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Title string `json:"title"`
		Actor string `json:"actor"`
	}
	if err := readJSON(r, &in, true); err != nil {
		return err
	}
	// The store bounds the title's length (500 bytes).
	if err := gridmap.CheckText("title", in.Title, 0, false); err != nil {
		return err
	}
	if err := checkLines("actor", in.Actor); err != nil {
		return err
	}
	pl, err := s.plans.svc.CreatePlan(r.Context(), in.Title, actorOf(r, in.Actor))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/plans/"+strconv.FormatInt(pl.ID, 10))
	writePlan(w, http.StatusCreated, &pl)
	return nil
}

// listPlans answers GET /api/v1/plans?status=draft|published|discarded,
// newest first, without the changes.
func (s *Server) listPlans(w http.ResponseWriter, r *http.Request) error {
	pls, err := s.plans.svc.ListPlans(r.Context(), gridmap.PlanStatus(r.URL.Query().Get("status")))
	if err != nil {
		return err
	}
	if pls == nil {
		pls = []gridmap.Plan{}
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{"plans": pls})
	return nil
}

// getPlan answers GET /api/v1/plans/{id}: the plan with its changes, with
// an ETag (304 on If-None-Match).
func (s *Server) getPlan(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "plan")
	if err != nil {
		return err
	}
	pl, err := s.plans.svc.Plan(r.Context(), id)
	if err != nil {
		return err
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, pl.ETag()) {
		w.Header().Set("ETag", pl.ETag())
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	writePlan(w, http.StatusOK, &pl)
	return nil
}

// addPlanChanges answers POST /api/v1/plans/{id}/changes with one change
// or {"changes": [...]}: 200 with the plan. If-Match (the plan's ETag) is
// honoured.
func (s *Server) addPlanChanges(w http.ResponseWriter, r *http.Request) error {
	id, rev, err := planTarget(r)
	if err != nil {
		return err
	}
	body, err := readJSONBody(r)
	if err != nil {
		return err
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		return gridmap.Errorf(gridmap.EINVALID, "the body must be a change object or {\"changes\": [...]}: %v", err)
	}
	var changes []gridmap.Change
	if _, batch := probe["changes"]; batch {
		var in struct {
			Changes []json.RawMessage `json:"changes"`
		}
		if err := decodeStrict(body, &in); err != nil {
			return err
		}
		for i, raw := range in.Changes {
			var c gridmap.Change
			err := decodeStrict(raw, &c)
			if err == nil {
				err = c.CheckText()
			}
			if err != nil {
				return gridmap.Errorf(gridmap.EINVALID, "changes[%d]: %s", i, gridmap.ErrorMessage(err))
			}
			changes = append(changes, c)
		}
	} else {
		var c gridmap.Change
		if err := decodeStrict(body, &c); err != nil {
			return err
		}
		if err := c.CheckText(); err != nil {
			return err
		}
		changes = append(changes, c)
	}
	pl, err := s.plans.svc.AddChanges(r.Context(), id, rev, changes)
	if err != nil {
		return err
	}
	writePlan(w, http.StatusOK, &pl)
	return nil
}

// removePlanChange answers DELETE /api/v1/plans/{id}/changes/{seq}
// (1-based): the plan without it.
func (s *Server) removePlanChange(w http.ResponseWriter, r *http.Request) error {
	id, rev, err := planTarget(r)
	if err != nil {
		return err
	}
	seq, err := strconv.Atoi(mux.Vars(r)["seq"])
	if err != nil || seq <= 0 {
		return gridmap.Errorf(gridmap.ENOTFOUND, "no change %s", mux.Vars(r)["seq"])
	}
	pl, err := s.plans.svc.RemoveChange(r.Context(), id, rev, seq)
	if err != nil {
		return err
	}
	writePlan(w, http.StatusOK, &pl)
	return nil
}

// paramTolerances reads width_m and sliver_m2 (both optional).
func paramTolerances(q url.Values) (gridmap.Tolerances, error) {
	var t gridmap.Tolerances
	for _, p := range []struct {
		name string
		dst  *float64
		max  float64
	}{{"width_m", &t.WidthM, 10_000}, {"sliver_m2", &t.SliverM2, 1e10}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || f <= 0 || f > p.max {
			return t, gridmap.Errorf(gridmap.EINVALID, "%s=%q must be a number above 0 and at most %g", p.name, v, p.max)
		}
		*p.dst = f
	}
	return t, nil
}

func writeReport(w http.ResponseWriter, rep gridmap.TopologyReport) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/geo+json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(rep)
}

// validatePlan answers GET (or POST) /api/v1/plans/{id}/validate
// [?width_m=&sliver_m2=]: the problems of the map with the plan applied,
// as a GeoJSON FeatureCollection (one Feature per problem, with
// "valid", "counts" and "fatal" beside the features). A stale plan is a
// 409 naming the grids that changed.
func (s *Server) validatePlan(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "plan")
	if err != nil {
		return err
	}
	tol, err := paramTolerances(r.URL.Query())
	if err != nil {
		return err
	}
	rep, err := s.plans.svc.ValidatePlan(r.Context(), id, tol)
	if err != nil {
		return err
	}
	writeReport(w, rep)
	return nil
}

// planImpact answers GET /api/v1/plans/{id}/impact.
func (s *Server) planImpact(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "plan")
	if err != nil {
		return err
	}
	im, err := s.plans.svc.PlanImpact(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, im)
	return nil
}

// actorOf returns who acts: the token's holder, else the body's actor.
func actorOf(r *http.Request, bodyActor string) string {
	if a := PrincipalFrom(r.Context()).Actor(); a != "" {
		return a
	}
	return bodyActor
}

// publishOptions turns a publication body into options: the actor (see
// actorOf), and force, which a token other than an admin's may not.
// Errors: EFORBIDDEN.
func publishOptions(r *http.Request, in publishInput) (gridmap.PublishOptions, error) {
	opts := gridmap.PublishOptions{Actor: actorOf(r, in.Actor), Force: in.Force, ForceReason: in.ForceReason}
	if err := checkLines("actor", in.Actor); err != nil {
		return opts, err
	}
	if err := gridmap.CheckText("force_reason", in.ForceReason, gridmap.MaxText, true); err != nil {
		return opts, err
	}
	if p := PrincipalFrom(r.Context()); in.Force && !p.Anonymous() && p.Role != gridmap.RoleAdmin {
		return opts, gridmap.Errorf(gridmap.EFORBIDDEN, "forcing a publication over validation problems needs an admin token; the %s role may publish only a valid plan", p.Role)
	}
	return opts, nil
}

// publishInput is the body of a publication or a direct edit.
type publishInput struct {
	Actor       string `json:"actor"`
	Force       bool   `json:"force"`
	ForceReason string `json:"force_reason"`
}

// publishPlan answers POST /api/v1/plans/{id}/publish {"actor", "force",
// "force_reason"}. 409 when the plan is stale (extra.conflicts), when it
// fails validation and is not forced, or has fatal problems (extra is the
// validation report).
func (s *Server) publishPlan(w http.ResponseWriter, r *http.Request) error {
	id, rev, err := planTarget(r)
	if err != nil {
		return err
	}
	var in publishInput
	if err := readJSON(r, &in, false); err != nil {
		return err
	}
	opts, err := publishOptions(r, in)
	if err != nil {
		return err
	}
	opts.IfRevision = rev
	res, err := s.plans.svc.PublishPlan(r.Context(), id, opts)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", res.Plan.ETag())
	writeJSON(w, http.StatusOK, res)
	return nil
}

// discardPlan answers POST /api/v1/plans/{id}/discard {"actor"}.
func (s *Server) discardPlan(w http.ResponseWriter, r *http.Request) error {
	id, rev, err := planTarget(r)
	if err != nil {
		return err
	}
	var in struct {
		Actor string `json:"actor"`
	}
	if err := readJSON(r, &in, true); err != nil {
		return err
	}
	if err := checkLines("actor", in.Actor); err != nil {
		return err
	}
	pl, err := s.plans.svc.DiscardPlan(r.Context(), id, actorOf(r, in.Actor), rev)
	if err != nil {
		return err
	}
	writePlan(w, http.StatusOK, &pl)
	return nil
}

// gridHistory answers GET /api/v1/grids/{code}/history: every version of
// the grid, oldest first, as a FeatureCollection; each Feature is the grid
// as gridFeature shows it plus plan_id, plan_title, published_by, forced
// and retired_by_plan where a plan made the version.
func (s *Server) gridHistory(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.plans.svc.GridHistory(r.Context(), mux.Vars(r)["code"])
	if err != nil {
		return err
	}
	fc := geojson.NewFeatureCollection()
	for _, v := range vs {
		f := gridFeature(v.Grid)
		f.ID = nil
		for k, x := range map[string]any{"plan_id": v.PlanID, "plan_title": v.PlanTitle, "published_by": v.PublishedBy,
			"forced": v.Forced, "retired_by_plan": v.RetiredByPlan} {
			f.Properties[k] = x
		}
		fc.Append(f)
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Cache-Control", "no-cache")
	return json.NewEncoder(w).Encode(fc)
}

// editGrid answers PATCH /api/v1/grids/{code} with If-Match: "g{version}"
// (the ETag of GET /api/v1/grids/{code}) and a body of the fields to
// change — name, attributes, boundary (GeoJSON geometry), parent — plus
// actor, force, force_reason. The edit is validated and published like a
// one-change plan. 412 when the grid changed since the ETag; 428-like 400
// without If-Match; 409 when validation fails. Answers the new version
// with its ETag.
func (s *Server) editGrid(w http.ResponseWriter, r *http.Request) error {
	code := mux.Vars(r)["code"]
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return gridmap.Errorf(gridmap.EINVALID, `If-Match is required: send the grid's ETag from GET /api/v1/grids/%s (e.g. If-Match: "g123")`, code)
	}
	var ver int64
	if _, err := fmt.Sscanf(h, `"g%d"`, &ver); err != nil || ver <= 0 {
		return gridmap.Errorf(gridmap.EPRECONDITION, `If-Match %s is not a grid ETag such as "g123"`, h)
	}
	var in struct {
		publishInput
		Name       *string         `json:"name"`
		Attributes map[string]any  `json:"attributes"`
		Boundary   json.RawMessage `json:"boundary"`
		Parent     *string         `json:"parent"`
	}
	if err := readJSON(r, &in, false); err != nil {
		return err
	}
	e := gridmap.GridEdit{Name: in.Name, Attributes: in.Attributes, Parent: in.Parent}
	if err := e.CheckText(); err != nil {
		return err
	}
	if len(in.Boundary) > 0 && string(in.Boundary) != "null" {
		var c gridmap.Change
		raw, _ := json.Marshal(map[string]json.RawMessage{"kind": json.RawMessage(`"replace"`), "boundary": in.Boundary})
		if err := decodeStrict(raw, &c); err != nil {
			return err
		}
		e.Boundary = c.Boundary
	}
	opts, err := publishOptions(r, in.publishInput)
	if err != nil {
		return err
	}
	if _, err := s.plans.svc.EditGrid(r.Context(), code, ver, e, opts); err != nil {
		return err
	}
	g, err := s.grids.Grid(r.Context(), code, nil)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", fmt.Sprintf(`"g%d"`, g.Version))
	w.Header().Set("Content-Type", "application/geo+json")
	return json.NewEncoder(w).Encode(gridFeature(g))
}

// topology answers GET /api/v1/topology?level=&width_m=&sliver_m2=: the
// topology report of the current map (what `gridmap validate` prints).
func (s *Server) topology(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	tol, err := paramTolerances(q)
	if err != nil {
		return err
	}
	if err := s.checkLevel(r, q.Get("level")); err != nil {
		return err
	}
	rep, err := s.plans.svc.ValidateMap(r.Context(), gridmap.Level(q.Get("level")), tol)
	if err != nil {
		return err
	}
	writeReport(w, rep)
	return nil
}
