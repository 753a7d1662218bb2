package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/intake"
)

// POST /open311/v2/requests.{json,xml}: a service request, form-encoded
// (application/x-www-form-urlencoded) as GeoReport v2 says, taken in
// through intake like POST /api/v1/incidents (the same checks, grid
// assignment, retry when the map moves, storage). How its fields map:
//
//	api_key                    a gridmap token that may report (or send Authorization: Bearer)
//	service_code               the category
//	lat, long                  the position, WGS84 degrees: required, since a case is
//	                           placed by its position; address_string and address_id
//	                           alone are refused (gridmap has no address register)
//	description                the description (personal data), at most 4,000 characters
//	first_name, last_name      the reporter's name (personal data); Chinese names are
//	                           written family name first without a space
//	phone                      the reporter's phone (personal data)
//	email, device_id,          kept as lines at the end of the description (personal data);
//	account_id, media_url      the media is not fetched
//	jurisdiction_id            accepted and ignored: one jurisdiction per server
//
// The source is hotline (12345): the hotline systems are Open311's
// clients, and the sources are fixed (gridmap.Sources). The external id is
// "open311-" and 16 random hex digits: the spec has no idempotency key, so
// a repeated post is a new request.

// open311MaxDescription is the spec's limit on description, in characters.
const open311MaxDescription = 4000

// open311PostFields are the form fields a post takes.
var open311PostFields = []string{"api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id",
	"email", "device_id", "account_id", "first_name", "last_name", "phone", "description", "media_url"}

// open311Extras are the fields kept as lines of the description.
var open311Extras = []string{"email", "device_id", "account_id", "media_url"}

// postRequestJSON is the answer to a post.
type postRequestJSON struct {
	ServiceRequestID string  `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice    string  `json:"service_notice" xml:"service_notice"`
	AccountID        *string `json:"account_id" xml:"-"`
	AccountIDXML     string  `json:"-" xml:"account_id"`
}

type postRequestsXML struct {
	XMLName  xml.Name          `xml:"service_requests"`
	Requests []postRequestJSON `xml:"request"`
}

// isForm reports whether r's body is form-encoded.
func isForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// open311APIKey returns the api_key of an Open311 request without an
// Authorization header: from the form body of a post, else the query.
// Errors: EINVALID for a body that is not a form, or a key that is not
// one line of text.
func open311APIKey(r *http.Request) (string, error) {
	var key string
	if r.Method == http.MethodPost && isForm(r) {
		form, err := open311Body(r)
		if err != nil {
			return "", err
		}
		key = form.Get("api_key")
	}
	if key == "" && r.URL.RawQuery != "" {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return "", nil // checkInput names the bad parameter
		}
		key = q.Get("api_key")
	}
	if p := paramProblem(key); p != "" {
		return "", gridmap.Errorf(gridmap.EINVALID, "api_key %s; an api_key is a gridmap token (gm_…)", p)
	}
	return key, nil
}

// open311MaxForm bounds a post's body: the spec's fields are short.
const open311MaxForm = 1 << 20

// open311Body reads and parses a post's form body once (authenticate
// reads the api_key in it, the handler the rest), the body only: a bad
// query is checkInput's to name. Errors: EINVALID, ETOOLARGE.
func open311Body(r *http.Request) (url.Values, error) {
	if r.PostForm != nil {
		return r.PostForm, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, open311MaxForm+1))
	if err != nil {
		return nil, gridmap.Errorf(gridmap.EINVALID, "reading the request body: %v", err)
	}
	if len(b) > open311MaxForm {
		return nil, gridmap.Errorf(gridmap.ETOOLARGE, "the form is larger than %d bytes; a service request's fields are short", open311MaxForm)
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, gridmap.Errorf(gridmap.EINVALID, "the body is not a valid application/x-www-form-urlencoded form: %v", err)
	}
	r.PostForm = form
	return form, nil
}

// open311Post stores one service request and answers its id.
func (s *Server) open311Post(w http.ResponseWriter, r *http.Request) error {
	en, err := open311English(r)
	if err != nil {
		return err
	}
	if !isForm(r) {
		return gridmap.Errorf(gridmap.EINVALID, "send the fields as application/x-www-form-urlencoded, as GeoReport v2 says (Content-Type was %q)", r.Header.Get("Content-Type"))
	}
	body, err := open311Body(r)
	if err != nil {
		return err
	}
	form, err := open311Form(body)
	if err != nil {
		return err
	}
	cat, err := s.open311Category(r, form["service_code"])
	if err != nil {
		if form["service_code"] == "" {
			return gridmap.Errorf(gridmap.EINVALID, "service_code is required: one of the codes of services.json")
		}
		return gridmap.Errorf(gridmap.EINVALID, "%s", gridmap.ErrorMessage(err)) // a bad post is 400, not 404
	}
	if form["lat"] == "" || form["long"] == "" {
		if form["address_string"] != "" || form["address_id"] != "" {
			return gridmap.Errorf(gridmap.EINVALID, "lat and long are required: gridmap places a request by its position (WGS84 degrees) and does not look up address_string or address_id")
		}
		return gridmap.Errorf(gridmap.EINVALID, "lat and long are required: the position of the request in WGS84 degrees")
	}

	now := time.Now()
	fields := map[string]any{
		"external_id": open311ExternalID(), "category": string(cat.Name), "source": string(gridmap.SourceHotline),
		"lon": form["long"], "lat": form["lat"], "reported_at": now.Format(time.RFC3339),
	}
	if d := open311Description(form); d != "" {
		fields["description"] = d
	}
	if n := reporterName(form["first_name"], form["last_name"]); n != "" {
		fields["reporter_name"] = n
	}
	if p := form["phone"]; p != "" {
		fields["reporter_phone"] = p
	}
	in := intake.Intake{Map: liveMap{s}, Store: s.incidents, MaxWait: incidentWait}
	res, err := in.Import(r.Context(), intake.Request{Records: intake.Records([]intake.Record{{Fields: fields}}), Now: now,
		Scope: s.writeScope(r), Options: gridmap.ImportIncidentsOptions{Items: true, By: PrincipalFrom(r.Context()).By()}})
	if err != nil {
		return err
	}
	s.metrics.ingested(res.Created, res.Existing, len(res.Errors))
	inc := res.Items[0].Incident
	v := &open311View{en: en, ix: res.Index}
	id := strconv.FormatInt(inc.ID, 10)
	notice := pick(en, "已登记为案件 ", "Registered as case ") + id
	if addr := v.address(inc.GridCode); addr != "" {
		notice += pick(en, "，所属网格：", ", in grid ") + addr
	} else {
		notice += pick(en, "，不在任何网格内，由指挥中心处理", ", outside every grid: the command centre takes it")
	}
	if inc.Deadline != nil {
		notice += pick(en, "，办理期限：", ", due ") + open311Time(*inc.Deadline)
	}
	notice += pick(en, "。", ".")
	w.Header().Set("Location", open311Prefix+"requests/"+id+"."+map[bool]string{true: "xml", false: "json"}[open311XML(r)])
	out := []postRequestJSON{{ServiceRequestID: id, ServiceNotice: notice}}
	writeOpen311(w, r, http.StatusCreated, out, postRequestsXML{Requests: out})
	return nil
}

// open311Form checks the fields of a post: each known, given once, and
// text (one line; the description may hold line breaks). Errors: EINVALID
// with one ItemError per bad field, so nothing is stored.
func open311Form(pf url.Values) (map[string]string, error) {
	out := map[string]string{}
	var bad []gridmap.ItemError
	keys := make([]string, 0, len(pf))
	for k := range pf {
		keys = append(keys, k)
	}
	slices.Sort(keys) // errors in a stable order
	for _, k := range keys {
		vs := pf[k]
		switch p := gridmap.TextProblem(k, gridmap.MaxName, false); {
		case p != "":
			bad = append(bad, gridmap.ItemError{Field: "request", Message: "a field name " + p})
			continue
		case strings.HasPrefix(k, "attribute["):
			bad = append(bad, gridmap.ItemError{Field: k, Message: "gridmap's services have no attributes (metadata is false in services.json)"})
			continue
		case !slices.Contains(open311PostFields, k):
			bad = append(bad, gridmap.ItemError{Field: k, Message: "unknown field; a request takes " + strings.Join(open311PostFields, ", ")})
			continue
		case len(vs) > 1:
			bad = append(bad, gridmap.ItemError{Field: k, Message: "given more than once"})
			continue
		}
		v := strings.TrimSpace(vs[0])
		max, multiline := gridmap.MaxName, false
		switch k {
		case "description":
			max, multiline = open311MaxDescription, true
		case "media_url":
			max = 2000
		}
		if p := gridmap.TextProblem(v, max, multiline); p != "" {
			bad = append(bad, gridmap.ItemError{Field: k, Message: p})
			continue
		}
		if k == "media_url" && v != "" {
			if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad = append(bad, gridmap.ItemError{Field: k, Message: "must be an http or https URL"})
				continue
			}
		}
		out[k] = v
	}
	if len(bad) > 0 {
		msg := bad[0].Field + ": " + bad[0].Message
		if len(bad) > 1 {
			msg = strconv.Itoa(len(bad)) + " fields are wrong; nothing was stored: " + msg
		}
		return nil, &gridmap.Error{Code: gridmap.EINVALID, Message: msg, Details: bad}
	}
	return out, nil
}

// open311Description is the description with the fields gridmap has no
// column for as lines after it ("email: …").
func open311Description(form map[string]string) string {
	d := form["description"]
	var extra []string
	for _, k := range open311Extras {
		if v := form[k]; v != "" {
			extra = append(extra, k+": "+v)
		}
	}
	if len(extra) == 0 {
		return d
	}
	if d != "" {
		d += "\n\n"
	}
	return d + strings.Join(extra, "\n")
}

// reporterName joins a first and last name: family name first without a
// space when either is written in Han characters (王 + 小明 → 王小明),
// else "first last".
func reporterName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	case hasHan(first) || hasHan(last):
		return last + first
	}
	return first + " " + last
}

func hasHan(s string) bool {
	for _, c := range s {
		if c >= 0x4E00 && c <= 0x9FFF || c >= 0x3400 && c <= 0x4DBF {
			return true
		}
	}
	return false
}

// open311ExternalID makes the external id of a posted request.
func open311ExternalID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "open311-" + hex.EncodeToString(b[:])
}
