package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/paulmach/orb/geojson"
)

// The HTML pages of /ogc (conformance class html): plain pages a person
// can browse to see what the API offers; the JSON is the same content.

// leadingProps are shown first in tables, in this order.
var leadingProps = []string{"code", "name", "level", "parent"}

// propKeys returns the property names of fs: leadingProps first, the rest
// sorted.
func propKeys(fs ...*geojson.Feature) []string {
	seen := map[string]bool{}
	var rest []string
	for _, f := range fs {
		for k := range f.Properties {
			if !seen[k] {
				seen[k] = true
				if !slices.Contains(leadingProps, k) {
					rest = append(rest, k)
				}
			}
		}
	}
	slices.Sort(rest)
	var keys []string
	for _, k := range leadingProps {
		if seen[k] {
			keys = append(keys, k)
		}
	}
	return append(keys, rest...)
}

// cell renders a property value for a table.
func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case time.Time:
		return v.Format(time.RFC3339)
	case *time.Time:
		if v == nil {
			return ""
		}
		return v.Format(time.RFC3339)
	case map[string]any, []any:
		b, _ := json.Marshal(v)
		return string(b)
	}
	return fmt.Sprint(v)
}

var ogcTemplates = template.Must(template.New("ogc").Funcs(template.FuncMap{
	"keys":  func(fs []*geojson.Feature) []string { return propKeys(fs...) },
	"fkeys": func(f *geojson.Feature) []string { return propKeys(f) },
	"cell":  cell,
	"prop":  func(f *geojson.Feature, k string) any { return f.Properties[k] },
	"add":   func(a, b int) int { return a + b },
}).Parse(`
{{define "head"}}<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · gridmap OGC API – Features</title>
<style>
body{font:15px/1.5 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code{background:#f6f8fa;padding:0 .2rem}nav a{margin-right:1rem}.muted{color:#57606a}
</style></head><body>
<nav><a href="/ogc?f=html">OGC API – Features</a><a href="/ogc/collections?f=html">collections</a><a href="/ogc/conformance?f=html">conformance</a><a href="/ogc/api">API definition</a></nav>
{{end}}
{{define "links"}}<h2>Links</h2><ul>{{range .}}<li><a href="{{.Href}}">{{.Rel}}</a> <span class="muted">{{.Type}}{{if .Title}} — {{.Title}}{{end}}</span></li>{{end}}</ul>{{end}}
{{define "foot"}}</body></html>{{end}}

{{define "landing"}}{{template "head" .title}}
<h1>{{.title}}</h1><p>{{.description}}</p>
{{template "links" .links}}{{template "foot"}}{{end}}

{{define "conformance"}}{{template "head" "conformance"}}
<h1>Conformance classes</h1><ul>{{range .conformsTo}}<li><code>{{.}}</code></li>{{end}}</ul>
{{template "links" .links}}{{template "foot"}}{{end}}

{{define "collections"}}{{template "head" "collections"}}
<h1>Collections</h1>
<table><tr><th>id</th><th>title</th><th>description</th></tr>
{{range .collections}}<tr><td><a href="/ogc/collections/{{.ID}}?f=html">{{.ID}}</a></td><td>{{.Title}}</td><td>{{.Description}}</td></tr>{{end}}
</table>{{template "links" .links}}{{template "foot"}}{{end}}

{{define "collection"}}{{template "head" .ID}}
<h1>{{.Title}}</h1><p><code>{{.ID}}</code></p><p>{{.Description}}</p>
{{with .Extent}}<p>Extent (CRS84): {{range .Spatial.BBox}}{{index . 0}}, {{index . 1}} – {{index . 2}}, {{index . 3}}{{end}}</p>{{end}}
<p><a href="/ogc/collections/{{.ID}}/items?f=html">Browse the features</a></p>
{{template "links" .Links}}{{template "foot"}}{{end}}

{{define "items"}}{{template "head" .collection.ID}}
<h1>{{.collection.Title}}</h1>
<p>{{if ge .matched 0}}{{.matched}} features match; {{end}}showing {{len .features}}{{if .features}} from number {{add .offset 1}}{{end}}.</p>
{{$fs := .features}}{{$keys := keys $fs}}{{$id := .collection.ID}}
<table><tr><th>id</th>{{range $keys}}<th>{{.}}</th>{{end}}</tr>
{{range $fs}}{{$f := .}}<tr><td><a href="/ogc/collections/{{$id}}/items/{{.ID}}?f=html">{{.ID}}</a></td>{{range $keys}}<td>{{cell (prop $f .)}}</td>{{end}}</tr>{{end}}
</table>{{template "links" .links}}{{template "foot"}}{{end}}

{{define "feature"}}{{template "head" .feature.ID}}
<h1>{{.collection.Title}}: {{.feature.ID}}</h1>
{{$f := .feature}}<table>{{range fkeys $f}}<tr><th>{{.}}</th><td>{{cell (prop $f .)}}</td></tr>{{end}}
<tr><th>geometry</th><td>{{$f.Geometry.GeoJSONType}}</td></tr></table>
{{template "links" .links}}{{template "foot"}}{{end}}
`))

// renderOGC writes the HTML page name with data.
func renderOGC(w http.ResponseWriter, name string, data any) error {
	var buf bytes.Buffer
	if err := ogcTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Vary", "Accept")
	_, err := w.Write(buf.Bytes())
	return err
}
