package report

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// The HTML documents are self-contained (inline styles, the maps as inline
// SVG, no script), so they pass the API's CSP and print as they show.

// svgMap draws the grids and cases as an SVG of w×h px.
func svgMap(g mapGrids, cases []Case, w, h float64, numbered bool) template.HTML {
	b := g.bound
	for _, c := range cases {
		b = b.Extend([2]float64{c.Lon, c.Lat})
	}
	v := newView(b, w, h)
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" style="border:1px solid #999;background:#fff">`, w, h, w, h)
	ring := func(grids []*gridmap.Grid, width float64, col string) {
		for _, gr := range grids {
			sb.WriteString(`<path fill="none" stroke="` + col + `" stroke-width="` + fmt.Sprint(width) + `" d="`)
			for _, poly := range gr.Boundary {
				for _, r := range poly {
					for i, pt := range r {
						x, y := v.xy(pt[0], pt[1])
						if i == 0 {
							fmt.Fprintf(&sb, "M%.1f %.1f", x, h-y)
						} else {
							fmt.Fprintf(&sb, "L%.1f %.1f", x, h-y)
						}
					}
					sb.WriteString("Z")
				}
			}
			sb.WriteString(`"/>`)
		}
	}
	ring(g.micro, 0.4, "#bbb")
	ring(g.villages, 1.2, "#444")
	for _, gr := range g.villages {
		c := gr.Boundary.Bound().Center()
		x, y := v.xy(c[0], c[1])
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" font-size="10" fill="#777" text-anchor="middle">%s</text>`, x, h-y, template.HTMLEscapeString(gr.Name))
	}
	for i, c := range cases {
		x, y := v.xy(c.Lon, c.Lat)
		rgb := sourceColour(c.Source)
		fmt.Fprintf(&sb, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="#%02x%02x%02x" stroke="#fff" stroke-width="0.6"/>`, x, h-y, rgb[0], rgb[1], rgb[2])
		if numbered {
			fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" font-size="10">%d</text>`, x+4, h-y-3, i+1)
		}
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

const htmlHead = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;max-width:60em;margin:1em auto;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}
th{color:#666;font-weight:normal}.muted{color:#777}.sum{font-size:1.1em}
.legend span{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin:0 .3em 0 1em}</style></head><body>`

var funcs = template.FuncMap{
	"source":  func(s string) string { return label(sourceZh, s) },
	"status":  func(s string) string { return label(statusZh, s) },
	"role":    func(s string) string { return label(roleZh, s) },
	"reasons": reasonsZh, "signed": signed, "time": shortTime, "deadline": deadline, "place": place2,
	"inc": func(i int) int { return i + 1 },
	"colour": func(s string) template.CSS {
		rgb := sourceColour(s)
		return template.CSS(fmt.Sprintf("#%02x%02x%02x", rgb[0], rgb[1], rgb[2]))
	},
}

var dailyHTML = template.Must(template.New("daily").Funcs(funcs).Parse(htmlHead + `
<h1>访情通报</h1><p class="muted">{{.Day}}（北京时间） · 生成于 {{.Generated}}</p>
{{with .D}}<p class="sum" id="summary">新增 <b data-figure="new">{{.New.Total}}</b> 件，较前一日 {{signed .NewVsPrev}}，较上周同日 {{signed .NewVsWeek}}；办结 <b data-figure="resolved">{{.Resolved}}</b> 件，结案 <b data-figure="closed">{{.Closed}}</b> 件。</p>
<p>重点案件：矛盾纠纷 {{.Disputes}} 件，信访 {{.Petitions}} 件，督办 {{.Supervised}} 件，超期 {{.Overdue}} 件。</p>{{end}}
<h2>一、新增案件来源</h2><table><tr><th>来源</th><th>当日</th><th>前一日</th><th>上周同日</th></tr>
{{range .Sources}}<tr><td>{{source .}}</td><td>{{index $.D.New.BySource .}}</td><td>{{index $.D.PreviousDay.BySource .}}</td><td>{{index $.D.LastWeek.BySource .}}</td></tr>{{end}}
<tr><td>合计</td><td>{{.D.New.Total}}</td><td>{{.D.PreviousDay.Total}}</td><td>{{.D.LastWeek.Total}}</td></tr></table>
<h2>二、案件分布图</h2>{{.Map}}<p class="legend">{{range .Sources}}<span style="background:{{colour .}}"></span>{{source .}}{{end}}</p>
<h2>三、各村（社区）新增案件</h2><table><tr><th>村（社区）</th><th>当日</th><th>前一日</th><th>上周同日</th></tr>
{{range .D.ByVillage}}{{if or .New .PreviousDay .LastWeek}}<tr><td>{{.Name}}</td><td>{{.New}}</td><td>{{.PreviousDay}}</td><td>{{.LastWeek}}</td></tr>{{end}}{{end}}</table>
<h2>四、重点案件（共 {{.D.KeyCasesTotal}} 件）</h2><table><tr><th>编号</th><th>类别</th><th>位置</th><th>状态</th><th>期限</th><th>列入原因</th></tr>
{{range .D.KeyCases}}<tr><td>{{.ID}}</td><td>{{call $.Cat .Category}}</td><td>{{place .}}</td><td>{{status .Status}}</td><td>{{deadline .Deadline}}</td><td>{{reasons .Reasons}}</td></tr>{{end}}</table>
<h2>五、当日办结（共 {{.D.Resolved}} 件）</h2><table><tr><th>编号</th><th>类别</th><th>位置</th><th>来源</th><th>上报时间</th><th>承办部门</th></tr>
{{range .D.ClosedCases}}<tr><td>{{.ID}}</td><td>{{call $.Cat .Category}}</td><td>{{place .}}</td><td>{{source .Source}}</td><td>{{time .ReportedAt}}</td><td>{{call $.Dep .Department}}</td></tr>{{end}}</table>
</body></html>`))

var wednesdayHTML = template.Must(template.New("wednesday").Funcs(funcs).Parse(htmlHead + `
<h1>周三说事议程</h1><p class="muted">{{.Day}}（北京时间） · 生成于 {{.Generated}}</p>
{{with .W}}<p class="sum" id="summary">待会商案件 <b data-figure="total">{{.Total}}</b> 件：矛盾纠纷未化解 {{index .ByReason "dispute"}} 件，会商中 {{index .ByReason "consult"}} 件，信访积案 {{index .ByReason "old_petition"}} 件，督办 {{index .ByReason "supervised"}} 件，超期 {{index .ByReason "overdue"}} 件。</p>{{end}}
{{range $i, $v := .W.Villages}}<section data-village="{{.Code}}"><h2>{{.Name}}（{{len .Cases}} 件）</h2>
<p>邀请参会：{{range $j, $p := .Invitees}}{{if $j}}；{{end}}{{role .Role}} {{if eq .Role "department"}}{{call $.Dep .Name}}{{else}}{{.Name}}{{end}}{{if .Contact}} {{.Contact}}{{end}}{{else}}（未登记法律顾问、警务助理）{{end}}</p>
{{index $.Maps $i}}
<table><tr><th>序</th><th>编号</th><th>类别</th><th>网格</th><th>上报</th><th>承办部门</th><th>列入原因</th></tr>
{{range $k, $c := .Cases}}<tr><td>{{inc $k}}</td><td>{{.ID}}</td><td>{{call $.Cat .Category}}</td><td>{{.GridName}}</td><td>{{time .ReportedAt}}</td><td>{{call $.Dep .Department}}</td><td>{{reasons .Reasons}}</td></tr>{{end}}</table></section>{{end}}
{{if .W.Outside}}<h2>网格外案件（{{len .W.Outside}} 件）</h2><table>{{range .W.Outside}}<tr><td>{{.ID}}</td><td>{{call $.Cat .Category}}</td><td>{{time .ReportedAt}}</td><td>{{reasons .Reasons}}</td></tr>{{end}}</table>{{end}}
<p class="muted">会后请逐件记录会商结果：POST /api/v1/incidents/{编号}/steps，step 为 consult。</p>
</body></html>`))

// DailyHTML renders the bulletin as an HTML document.
func DailyHTML(d *Daily, ix *geo.Index, l Labels) ([]byte, error) {
	day, _ := DayStart(d.Date)
	sources := make([]string, len(gridmap.Sources))
	for i, s := range gridmap.Sources {
		sources[i] = string(s)
	}
	data := map[string]any{
		"Title": "访情通报 " + dateZh(day), "Day": dateZh(day), "Generated": d.Generated.In(gridmap.ChinaTime).Format("2006-01-02 15:04"),
		"D": struct {
			*Daily
			NewVsPrev, NewVsWeek int
		}{d, d.New.Total - d.PreviousDay.Total, d.New.Total - d.LastWeek.Total},
		"Sources": sources, "Map": svgMap(gridsFor(ix, ""), d.Points, 760, 520, false),
		"Cat": l.category, "Dep": l.department,
	}
	var buf bytes.Buffer
	if err := dailyHTML.Execute(&buf, data); err != nil {
		return nil, gridmap.Errorf(gridmap.EINTERNAL, "rendering the bulletin: %v", err)
	}
	return buf.Bytes(), nil
}

// WednesdayHTML renders the agenda as an HTML document.
func WednesdayHTML(w *Wednesday, ix *geo.Index, l Labels) ([]byte, error) {
	day, _ := DayStart(w.Date)
	maps := make([]template.HTML, len(w.Villages))
	for i, v := range w.Villages {
		maps[i] = svgMap(gridsFor(ix, v.Code), v.Cases, 420, 260, true)
	}
	data := map[string]any{
		"Title": "周三说事议程 " + dateZh(day), "Day": dateZh(day), "Generated": w.Generated.In(gridmap.ChinaTime).Format("2006-01-02 15:04"),
		"W": w, "Maps": maps, "Cat": l.category, "Dep": l.department,
	}
	var buf bytes.Buffer
	if err := wednesdayHTML.Execute(&buf, data); err != nil {
		return nil, gridmap.Errorf(gridmap.EINTERNAL, "rendering the agenda: %v", err)
	}
	return buf.Bytes(), nil
}
