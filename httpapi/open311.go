package httpapi

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
)

// Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at
// /open311/v2, for hotline systems and 311 apps: the categories are its
// services, an incident is its service request, and the service_request_id
// is the incident id of /api/v1/incidents/{id}. Every resource answers JSON
// or XML by its extension (.json, .xml), errors included, in the spec's
// format: [{"code": 400, "description": "…"}] or
// <errors><error><code>…</code><description>…</description></error></errors>.
// The api_key is a gridmap token (auth.go, open311APIKey). Reads are in
// open311_read.go, the post in open311_post.go.

const (
	open311Prefix = "/open311/v2/"
	// open311Spec is the specification the discovery document names.
	open311Spec = "http://wiki.open311.org/GeoReport_v2"
	// open311Changeset is when this API last changed, for discovery.
	open311Changeset = "2026-12-03T00:00:00Z"
)

// isOpen311 reports whether a request path is under /open311/v2: its
// answers, errors included, follow the Open311 formats.
func isOpen311(path string) bool { return strings.HasPrefix(path, open311Prefix) }

// open311XML reports whether the request asks for XML: the {format}
// variable, or for a path no route matched, its extension.
func open311XML(r *http.Request) bool {
	if f, ok := mux.Vars(r)["format"]; ok {
		return f == "xml"
	}
	return strings.HasSuffix(r.URL.Path, ".xml")
}

// writeOpen311 answers v as JSON, or xv as XML (UTF-8, with the XML
// declaration the spec asks for).
func writeOpen311(w http.ResponseWriter, r *http.Request, status int, v, xv any) {
	if !open311XML(r) {
		writeJSON(w, status, v)
		return
	}
	b, err := xml.Marshal(xv)
	if err != nil { // only our own types, which marshal
		status, b = http.StatusInternalServerError, []byte("<errors><error><code>500</code><description>internal error</description></error></errors>")
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}

// open311Error is one error of the spec's error list.
type open311Error struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

type open311ErrorsXML struct {
	XMLName xml.Name       `xml:"errors"`
	Errors  []open311Error `xml:"error"`
}

// writeOpen311Error answers an error of an Open311 request with the status
// writeError chose (a missing or bad api_key is 403, as the spec says) and
// detail, one entry per failed field when the error lists them.
func (s *Server) writeOpen311Error(w http.ResponseWriter, r *http.Request, status int, detail string, err error) {
	if status == http.StatusUnauthorized {
		status = http.StatusForbidden
		w.Header().Del("WWW-Authenticate")
	}
	errs := []open311Error{{Code: status, Description: detail}}
	var e *gridmap.Error
	if errors.As(err, &e) {
		if items, ok := e.Details.([]gridmap.ItemError); ok && len(items) > 0 {
			errs = errs[:0]
			for _, it := range items {
				errs = append(errs, open311Error{Code: status, Description: open311Field(it.Field) + ": " + it.Message})
			}
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeOpen311(w, r, status, errs, open311ErrorsXML{Errors: errs})
}

// open311Field names an incident field as an Open311 client sent it.
func open311Field(f string) string {
	switch f {
	case "category":
		return "service_code"
	case "lon":
		return "long"
	case "reporter_name", "reporter.name":
		return "first_name/last_name"
	case "reporter_phone", "reporter.phone":
		return "phone"
	case "":
		return "request"
	}
	return f
}

// open311English reports whether names should be English: ?locale=en (or
// en-…), else an Accept-Language whose first language is English. Chinese
// is the default.
func open311English(r *http.Request) (bool, error) {
	if l := r.URL.Query().Get("locale"); l != "" {
		switch tag := strings.ToLower(l); {
		case tag == "en" || strings.HasPrefix(tag, "en-") || strings.HasPrefix(tag, "en_"):
			return true, nil
		case tag == "zh" || strings.HasPrefix(tag, "zh-") || strings.HasPrefix(tag, "zh_"):
			return false, nil
		}
		return false, gridmap.Errorf(gridmap.EINVALID, "locale=%q: the names are in Chinese (zh, the default) or English (en)", l)
	}
	first, _, _ := strings.Cut(r.Header.Get("Accept-Language"), ",")
	first, _, _ = strings.Cut(strings.TrimSpace(first), ";")
	first = strings.ToLower(first)
	return first == "en" || strings.HasPrefix(first, "en-"), nil
}

// pick returns en or zh.
func pick(english bool, zh, en string) string {
	if english {
		return en
	}
	return zh
}

// discoveryJSON is the Service Discovery document.
type discoveryJSON struct {
	XMLName    xml.Name            `json:"-" xml:"discovery"`
	Changeset  string              `json:"changeset" xml:"changeset"`
	Contact    string              `json:"contact" xml:"contact"`
	KeyService string              `json:"key_service" xml:"key_service"`
	Endpoints  []discoveryEndpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

type discoveryEndpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

// open311Discovery answers the Service Discovery document: one production
// endpoint, this server's /open311/v2 (by baseURL: behind a trusted proxy,
// the address clients reach it by).
func (s *Server) open311Discovery(w http.ResponseWriter, r *http.Request) error {
	en, err := open311English(r)
	if err != nil {
		return err
	}
	d := discoveryJSON{
		Changeset: open311Changeset,
		Contact:   pick(en, "请联系本系统的运营方（指挥中心）。", "Ask the operator of this gridmap (the command centre)."),
		KeyService: pick(en, "api_key 即 gridmap 令牌，由运营方签发（gridmap token create --role reporter）。",
			"The api_key is a gridmap token, issued by the operator (gridmap token create --role reporter)."),
		Endpoints: []discoveryEndpoint{{
			Specification: open311Spec,
			URL:           s.baseURL(r) + strings.TrimSuffix(open311Prefix, "/"),
			Changeset:     open311Changeset,
			Type:          "production",
			Formats:       []string{"text/xml", "application/json"},
		}},
	}
	writeOpen311(w, r, http.StatusOK, d, d)
	return nil
}

// serviceJSON is one service: a category.
type serviceJSON struct {
	ServiceCode string `json:"service_code" xml:"service_code"`
	ServiceName string `json:"service_name" xml:"service_name"`
	Description string `json:"description" xml:"description"`
	Metadata    bool   `json:"metadata" xml:"metadata"`
	Type        string `json:"type" xml:"type"`
	Keywords    string `json:"keywords" xml:"keywords"`
	Group       string `json:"group" xml:"group"`
}

type servicesXML struct {
	XMLName  xml.Name      `xml:"services"`
	Services []serviceJSON `xml:"service"`
}

// open311Service describes a category as a service: named in the
// request's language, no attributes (metadata false), realtime (the post
// answers the incident id at once), its labels and code as keywords.
func open311Service(c gridmap.CategoryInfo, en bool) serviceJSON {
	desc := pick(en, c.LabelZh, c.LabelEn)
	if c.DeadlineDays != nil {
		desc += pick(en, "，默认办理期限 ", "; due within ") + strconv.Itoa(*c.DeadlineDays) + pick(en, " 天", " days by default")
	}
	return serviceJSON{
		ServiceCode: string(c.Name), ServiceName: pick(en, c.LabelZh, c.LabelEn), Description: desc,
		Metadata: false, Type: "realtime", Keywords: strings.Join([]string{string(c.Name), c.LabelZh, c.LabelEn}, ", "),
		Group: pick(en, "网格事件", "Grid cases"),
	}
}

// open311Services answers the services: every category, in table order.
func (s *Server) open311Services(w http.ResponseWriter, r *http.Request) error {
	en, err := open311English(r)
	if err != nil {
		return err
	}
	cats, err := s.incidents.Categories(r.Context())
	if err != nil {
		return err
	}
	out := make([]serviceJSON, len(cats))
	for i, c := range cats {
		out[i] = open311Service(c, en)
	}
	writeOpen311(w, r, http.StatusOK, out, servicesXML{Services: out})
	return nil
}

// serviceDefinitionJSON is a service definition: gridmap's services have
// no attributes, so the list is empty.
type serviceDefinitionJSON struct {
	XMLName     xml.Name `json:"-" xml:"service_definition"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	Attributes  []any    `json:"attributes" xml:"-"`
	AttrsXML    struct{} `json:"-" xml:"attributes"`
}

// open311Category returns the category named by a service code.
// Errors: ENOTFOUND listing the codes.
func (s *Server) open311Category(r *http.Request, code string) (gridmap.CategoryInfo, error) {
	cats, err := s.incidents.Categories(r.Context())
	if err != nil {
		return gridmap.CategoryInfo{}, err
	}
	known := make([]string, len(cats))
	for i, c := range cats {
		if string(c.Name) == code {
			return c, nil
		}
		known[i] = string(c.Name)
	}
	return gridmap.CategoryInfo{}, gridmap.Errorf(gridmap.ENOTFOUND, "service_code %q not found; the service codes are %s", code, strings.Join(known, ", "))
}

// open311ServiceDefinition answers a service's definition, 404 for an
// unknown code.
func (s *Server) open311ServiceDefinition(w http.ResponseWriter, r *http.Request) error {
	if _, err := open311English(r); err != nil {
		return err
	}
	c, err := s.open311Category(r, mux.Vars(r)["code"])
	if err != nil {
		return err
	}
	d := serviceDefinitionJSON{ServiceCode: string(c.Name), Attributes: []any{}}
	writeOpen311(w, r, http.StatusOK, d, d)
	return nil
}

// open311Time writes a time as the spec asks (ISO 8601 with its offset),
// in China Standard Time.
func open311Time(t time.Time) string { return t.In(gridmap.ChinaTime).Format(time.RFC3339) }
