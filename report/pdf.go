package report

import (
	"bytes"
	"fmt"
	"image/color"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/pdf"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// FontCandidates are the font files tried, in order, when none is
// configured: TrueType CJK fonts of Debian packages (fonts-wqy-microhei,
// fonts-wqy-zenhei, fonts-droid-fallback). Noto CJK (fonts-noto-cjk) is not
// among them: its CFF outlines are CID-keyed, which the PDF writer cannot
// subset, and embedding it whole would make every bulletin 16 MB.
var FontCandidates = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
}

// Fonts loads the Chinese font of the PDFs once, on first use, so a server
// that never prints pays nothing. Safe for concurrent use.
type Fonts struct {
	path string
	once sync.Once
	font *canvas.Font
	err  error
}

// NewFonts returns the fonts of the file at path (a .ttf or .ttc; index 0
// of a collection), or of the first of FontCandidates present when path is "".
func NewFonts(path string) *Fonts { return &Fonts{path: path} }

func (f *Fonts) load() (*canvas.Font, error) {
	f.once.Do(func() {
		paths := FontCandidates
		if f.path != "" {
			paths = []string{f.path}
		}
		for _, p := range paths {
			if _, err := os.Stat(p); err != nil {
				continue
			}
			f.font, f.err = canvas.LoadFontCollection(p, 0, canvas.FontRegular)
			if f.err != nil {
				f.err = gridmap.Errorf(gridmap.EUNAVAILABLE, "the PDF font %s cannot be read (%v): set GRIDMAP_REPORT_FONT to a TrueType Chinese font", p, f.err)
			}
			return
		}
		f.err = gridmap.Errorf(gridmap.EUNAVAILABLE, "no Chinese font for PDFs: install fonts-wqy-microhei (apt-get install fonts-wqy-microhei) or set GRIDMAP_REPORT_FONT to a TrueType Chinese font file; tried %v", paths)
	})
	return f.font, f.err
}

// A4 in millimetres, and the page margin.
const (
	pageW, pageH = 210.0, 297.0
	margin       = 15.0
)

var (
	black = color.RGBA{0x22, 0x22, 0x22, 0xff}
	grey  = color.RGBA{0x77, 0x77, 0x77, 0xff}
	red   = color.RGBA{0xc0, 0x1f, 0x1f, 0xff}
)

// doc writes pages top to bottom, starting a new page when one is full.
type doc struct {
	font  *canvas.Font
	pages []*canvas.Canvas
	ctx   *canvas.Context
	y     float64 // from the page bottom
	title string
}

func newDoc(font *canvas.Font, title string) *doc {
	d := &doc{font: font, title: title}
	d.newPage()
	return d
}

func (d *doc) newPage() {
	c := canvas.New(pageW, pageH)
	d.pages = append(d.pages, c)
	d.ctx = canvas.NewContext(c)
	d.y = pageH - margin
	if len(d.pages) > 1 {
		d.text(margin, d.y-3, 8, grey, fmt.Sprintf("%s（第%d页）", d.title, len(d.pages)))
		d.y -= 8
	}
}

// need starts a new page unless h mm are left.
func (d *doc) need(h float64) {
	if d.y-h < margin {
		d.newPage()
	}
}

func (d *doc) text(x, y, size float64, col color.Color, s string) {
	d.ctx.DrawText(x, y, canvas.NewTextLine(d.font.Face(size, col), s, canvas.Left))
}

// line writes one line of text of size points and moves down.
func (d *doc) line(size float64, col color.Color, s string) {
	h := size * 0.5
	d.need(h)
	d.y -= h
	d.text(margin, d.y, size, col, s)
	d.y -= size * 0.15
}

// wrapped writes the parts joined by sep, breaking lines between parts
// so no line runs past the right margin.
func (d *doc) wrapped(size float64, col color.Color, parts []string, sep string) {
	face := d.font.Face(size, col)
	cur := ""
	for _, p := range parts {
		next := p
		if cur != "" {
			next = cur + sep + p
		}
		if cur != "" && face.TextWidth(next) > pageW-2*margin {
			d.line(size, col, cur+sep)
			next = "  " + p
		}
		cur = next
	}
	if cur != "" {
		d.line(size, col, cur)
	}
}

func (d *doc) gap(mm float64) { d.y -= mm }

// table writes rows of cells at the column x offsets (mm from the margin).
func (d *doc) table(cols []float64, header []string, rows [][]string, size float64) {
	h := size * 0.55
	row := func(cells []string, col color.Color) {
		d.need(h)
		d.y -= h
		for i, c := range cells {
			if i < len(cols) {
				d.text(margin+cols[i], d.y, size, col, c)
			}
		}
	}
	row(header, grey)
	d.ctx.SetStrokeColor(grey)
	d.ctx.SetStrokeWidth(0.2)
	d.ctx.MoveTo(margin, d.y-1)
	d.ctx.LineTo(pageW-margin, d.y-1)
	d.ctx.Stroke()
	d.y -= 1
	for _, r := range rows {
		row(r, black)
	}
	d.y -= 2
}

// drawMap draws the grids and the cases (dots coloured by source; numbered
// when numbered) in a box h mm high across the page.
func (d *doc) drawMap(g mapGrids, cases []Case, h float64, numbered bool) {
	d.need(h)
	x0, y0, w := margin, d.y-h, pageW-2*margin
	b := g.bound
	for _, c := range cases {
		b = b.Extend([2]float64{c.Lon, c.Lat})
	}
	v := newView(b, w, h)
	ctx := d.ctx
	ctx.SetStrokeColor(grey)
	ctx.SetFillColor(canvas.Transparent)
	ctx.SetStrokeWidth(0.5)
	ctx.DrawPath(x0, y0, canvas.Rectangle(w, h))
	ring := func(grids []*gridmap.Grid, width float64, col color.Color) {
		ctx.SetStrokeColor(col)
		ctx.SetStrokeWidth(width)
		for _, gr := range grids {
			p := &canvas.Path{}
			for _, poly := range gr.Boundary {
				for _, r := range poly {
					for i, pt := range r {
						x, y := v.xy(pt[0], pt[1])
						if i == 0 {
							p.MoveTo(x, y)
						} else {
							p.LineTo(x, y)
						}
					}
					p.Close()
				}
			}
			ctx.DrawPath(x0, y0, p)
		}
	}
	ring(g.micro, 0.1, color.RGBA{0xbb, 0xbb, 0xbb, 0xff})
	ring(g.villages, 0.35, color.RGBA{0x44, 0x44, 0x44, 0xff})
	for _, gr := range g.villages {
		c := gr.Boundary.Bound().Center()
		x, y := v.xy(c[0], c[1])
		t := canvas.NewTextLine(d.font.Face(5, grey), gr.Name, canvas.Center)
		ctx.DrawText(x0+x, y0+y, t)
	}
	ctx.SetStrokeWidth(0.15)
	ctx.SetStrokeColor(canvas.White)
	for i, c := range cases {
		x, y := v.xy(c.Lon, c.Lat)
		rgb := sourceColour(c.Source)
		ctx.SetFillColor(color.RGBA{rgb[0], rgb[1], rgb[2], 0xff})
		ctx.DrawPath(x0+x, y0+y, canvas.Circle(0.9))
		if numbered {
			ctx.DrawText(x0+x+1.1, y0+y+0.6, canvas.NewTextLine(d.font.Face(5, black), strconv.Itoa(i+1), canvas.Left))
		}
	}
	d.y = y0 - 2
}

// legend writes the colours of the sources.
func (d *doc) legend() {
	d.need(5)
	d.y -= 4
	x := margin
	for _, s := range gridmap.Sources {
		rgb := sourceColour(string(s))
		d.ctx.SetStrokeColor(canvas.Transparent)
		d.ctx.SetFillColor(color.RGBA{rgb[0], rgb[1], rgb[2], 0xff})
		d.ctx.DrawPath(x+1, d.y+1, canvas.Circle(1))
		d.text(x+3, d.y, 8, black, sourceZh[string(s)])
		x += 30
	}
	d.y -= 2
}

func (d *doc) bytes(title string) ([]byte, error) {
	var buf bytes.Buffer
	p := pdf.New(&buf, pageW, pageH, &pdf.Options{Compress: true, SubsetFonts: true})
	p.SetInfo(title, "", "", "gridmap", "gridmap")
	p.SetLang("zh-CN")
	for i, c := range d.pages {
		if i > 0 {
			p.NewPage(pageW, pageH)
		}
		c.RenderTo(p)
	}
	if err := p.Close(); err != nil {
		return nil, gridmap.Errorf(gridmap.EINTERNAL, "writing the PDF: %v", err)
	}
	return buf.Bytes(), nil
}

func signed(n int) string {
	if n > 0 {
		return "+" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func dateZh(t time.Time) string {
	t = t.In(gridmap.ChinaTime)
	return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
}

func shortTime(t time.Time) string { return t.In(gridmap.ChinaTime).Format("01-02 15:04") }

func deadline(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return shortTime(*t)
}

func place2(c Case) string {
	if c.VillageName == "" {
		return "网格外"
	}
	if c.GridName != "" && c.GridName != c.VillageName {
		return c.VillageName + " " + c.GridName
	}
	return c.VillageName
}

// DailyPDF draws the bulletin as an A4 PDF over the grids of ix.
// Errors: EUNAVAILABLE when no Chinese font can be loaded.
func DailyPDF(d *Daily, ix *geo.Index, l Labels, fonts *Fonts) ([]byte, error) {
	font, err := fonts.load()
	if err != nil {
		return nil, err
	}
	day, _ := DayStart(d.Date)
	title := "访情通报 " + dateZh(day)
	p := newDoc(font, title)
	p.line(18, black, "访情通报")
	p.line(11, grey, fmt.Sprintf("%s（北京时间）  生成于 %s", dateZh(day), d.Generated.In(gridmap.ChinaTime).Format("2006-01-02 15:04")))
	p.gap(3)
	p.line(12, black, fmt.Sprintf("新增 %d 件，较前一日 %s，较上周同日 %s；办结 %d 件，结案 %d 件。",
		d.New.Total, signed(d.New.Total-d.PreviousDay.Total), signed(d.New.Total-d.LastWeek.Total), d.Resolved, d.Closed))
	p.line(12, black, fmt.Sprintf("重点案件：矛盾纠纷 %d 件，信访 %d 件，督办 %d 件，超期 %d 件。", d.Disputes, d.Petitions, d.Supervised, d.Overdue))
	p.gap(3)
	p.line(13, black, "一、新增案件来源")
	var rows [][]string
	for _, s := range gridmap.Sources {
		k := string(s)
		rows = append(rows, []string{sourceZh[k], strconv.Itoa(d.New.BySource[k]), strconv.Itoa(d.PreviousDay.BySource[k]), strconv.Itoa(d.LastWeek.BySource[k])})
	}
	rows = append(rows, []string{"合计", strconv.Itoa(d.New.Total), strconv.Itoa(d.PreviousDay.Total), strconv.Itoa(d.LastWeek.Total)})
	p.table([]float64{0, 45, 75, 105}, []string{"来源", "当日", "前一日", "上周同日"}, rows, 10)

	p.line(13, black, "二、案件分布图")
	p.drawMap(gridsFor(ix, ""), d.Points, 105, false)
	p.legend()
	p.gap(2)

	p.line(13, black, "三、各村（社区）新增案件")
	rows = rows[:0]
	for _, v := range d.ByVillage {
		if v.New == 0 && v.PreviousDay == 0 && v.LastWeek == 0 {
			continue
		}
		rows = append(rows, []string{v.Name, strconv.Itoa(v.New), strconv.Itoa(v.PreviousDay), strconv.Itoa(v.LastWeek)})
	}
	if len(rows) == 0 {
		p.line(10, grey, "当日及对比日均无新增案件。")
	} else {
		p.table([]float64{0, 60, 90, 120}, []string{"村（社区）", "当日", "前一日", "上周同日"}, rows, 10)
	}

	p.line(13, black, fmt.Sprintf("四、重点案件（共 %d 件）", d.KeyCasesTotal))
	rows = rows[:0]
	for _, c := range d.KeyCases {
		rows = append(rows, []string{strconv.FormatInt(c.ID, 10), l.category(c.Category), place2(c), statusZh[c.Status], deadline(c.Deadline), reasonsZh(c.Reasons)})
	}
	if len(rows) == 0 {
		p.line(10, grey, "无。")
	} else {
		p.table([]float64{0, 18, 40, 95, 115, 140}, []string{"编号", "类别", "位置", "状态", "期限", "列入原因"}, rows, 9)
		if d.KeyCasesTotal > len(d.KeyCases) {
			p.line(9, grey, fmt.Sprintf("另有 %d 件未列出，见系统案件列表。", d.KeyCasesTotal-len(d.KeyCases)))
		}
	}

	p.line(13, black, fmt.Sprintf("五、当日办结（共 %d 件）", d.Resolved))
	rows = rows[:0]
	for _, c := range d.ClosedCases {
		rows = append(rows, []string{strconv.FormatInt(c.ID, 10), l.category(c.Category), place2(c), sourceZh[c.Source], shortTime(c.ReportedAt), l.department(c.Department)})
	}
	if len(rows) == 0 {
		p.line(10, grey, "无。")
	} else {
		p.table([]float64{0, 18, 40, 95, 120, 145}, []string{"编号", "类别", "位置", "来源", "上报时间", "承办部门"}, rows, 9)
		if d.Resolved > len(d.ClosedCases) {
			p.line(9, grey, fmt.Sprintf("另有 %d 件未列出。", d.Resolved-len(d.ClosedCases)))
		}
	}
	return p.bytes(title)
}

// WednesdayPDF draws the agenda as an A4 PDF: per village its map with the
// cases numbered, the cases and the people to invite.
// Errors: EUNAVAILABLE when no Chinese font can be loaded.
func WednesdayPDF(w *Wednesday, ix *geo.Index, l Labels, fonts *Fonts) ([]byte, error) {
	font, err := fonts.load()
	if err != nil {
		return nil, err
	}
	day, _ := DayStart(w.Date)
	title := "周三说事议程 " + dateZh(day)
	p := newDoc(font, title)
	p.line(18, black, "周三说事议程")
	p.line(11, grey, fmt.Sprintf("%s（北京时间）  生成于 %s", dateZh(day), w.Generated.In(gridmap.ChinaTime).Format("2006-01-02 15:04")))
	p.gap(2)
	p.line(12, black, fmt.Sprintf("待会商案件 %d 件：矛盾纠纷未化解 %d 件，会商中 %d 件，信访积案 %d 件，督办 %d 件，超期 %d 件。",
		w.Total, w.ByReason["dispute"], w.ByReason["consult"], w.ByReason["old_petition"], w.ByReason["supervised"], w.ByReason["overdue"]))
	p.gap(2)
	cases := func(cs []Case) {
		var rows [][]string
		for i, c := range cs {
			rows = append(rows, []string{strconv.Itoa(i + 1), strconv.FormatInt(c.ID, 10), l.category(c.Category), c.GridName,
				shortTime(c.ReportedAt), l.department(c.Department), reasonsZh(c.Reasons)})
		}
		p.table([]float64{0, 8, 24, 44, 80, 102, 135}, []string{"序", "编号", "类别", "网格", "上报", "承办部门", "列入原因"}, rows, 9)
	}
	for i, v := range w.Villages {
		if i > 0 {
			p.need(90)
		}
		p.line(13, black, fmt.Sprintf("%s（%d 件）", v.Name, len(v.Cases)))
		var inv []string
		for _, iv := range v.Invitees {
			name := iv.Name
			if iv.Role == "department" {
				name = l.department(iv.Name)
			}
			s := label(roleZh, iv.Role) + " " + name
			if iv.Contact != "" {
				s += " " + iv.Contact
			}
			inv = append(inv, s)
		}
		if len(inv) == 0 {
			inv = []string{"（未登记法律顾问、警务助理）"}
		}
		inv[0] = "邀请参会：" + inv[0]
		p.wrapped(9, black, inv, "；")
		p.drawMap(gridsFor(ix, v.Code), v.Cases, 55, true)
		cases(v.Cases)
	}
	if len(w.Outside) > 0 {
		p.line(13, black, fmt.Sprintf("网格外案件（%d 件）", len(w.Outside)))
		cases(w.Outside)
	}
	if w.Total == 0 {
		p.line(11, grey, "本次无待会商案件。")
	}
	p.line(9, grey, "会后请在系统中逐件记录会商结果（会商步骤）。")
	return p.bytes(title)
}
