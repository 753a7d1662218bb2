package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gridmap/gridmap"
)

// Ranking is a month's red/black list as the PDF prints it: the caller
// (httpapi, from indicators.Rank) names the groups and their reasons.
type Ranking struct {
	Of           string // worker, village or department
	Month        string // YYYY-MM, China Standard Time
	RulesVersion int64
	Red, Black   []RankingEntry
	Ranked       []RankingEntry
	Unranked     int
	Generated    time.Time
}

// RankingEntry is one group's place; Why its indicators with their values
// (indicator → value), in the order given.
type RankingEntry struct {
	Place int
	Name  string
	Score float64
	Why   []RankingPart
}

// RankingPart is one indicator of an entry.
type RankingPart struct {
	Indicator string
	Value     float64
}

var rankingOfZh = map[string]string{"worker": "网格员", "village": "村（社区）", "department": "职能部门"}

var indicatorZh = map[string]string{
	"received": "受理", "registered": "立案", "closed": "结案", "closure_rate": "结案率", "on_time_closure_rate": "按期结案率",
	"reply_rate": "答复率", "revisit_rate": "回访率", "satisfaction_rate": "满意率", "median_close_hours": "办结时长中位数（小时）",
	"p90_close_hours": "办结时长90%分位（小时）", "open_overdue": "超期未办结", "supervised": "督办", "duplicates": "重复件",
	"reopened": "重办", "logs_filed": "工作日志", "patrol_days": "巡查天数", "distance_km": "巡查里程（公里）",
	"grids_covered": "覆盖网格", "cases_raised": "上报案件", "cases_verified": "核实案件",
}

// whyZh is an entry's reasons in Chinese: "结案率 92.0%，超期未办结 1".
func whyZh(parts []RankingPart) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		v := strconv.FormatFloat(p.Value, 'f', 1, 64)
		if strings.HasSuffix(p.Indicator, "_rate") {
			v = strconv.FormatFloat(p.Value*100, 'f', 1, 64) + "%"
		} else if p.Value == float64(int64(p.Value)) {
			v = strconv.FormatInt(int64(p.Value), 10)
		}
		out[i] = label(indicatorZh, p.Indicator) + " " + v
	}
	return strings.Join(out, "，")
}

// RankingPDF draws the month's red and black lists and the whole ranking
// on A4 with the reports' font.
func RankingPDF(r *Ranking, fonts *Fonts) ([]byte, error) {
	font, err := fonts.load()
	if err != nil {
		return nil, err
	}
	of := label(rankingOfZh, r.Of)
	title := fmt.Sprintf("%s红黑榜 %s", of, r.Month)
	p := newDoc(font, title)
	p.line(18, black, title)
	rules := "默认评分规则"
	if r.RulesVersion > 0 {
		rules = fmt.Sprintf("评分规则第 %d 版", r.RulesVersion)
	}
	p.line(11, grey, fmt.Sprintf("%s（北京时间）  %s  生成于 %s", r.Month, rules, r.Generated.In(gridmap.ChinaTime).Format("2006-01-02 15:04")))
	p.gap(2)
	list := func(name string, es []RankingEntry) {
		p.line(13, black, fmt.Sprintf("%s（%d）", name, len(es)))
		var rows [][]string
		for _, e := range es {
			rows = append(rows, []string{strconv.Itoa(e.Place), e.Name, strconv.FormatFloat(e.Score, 'f', 1, 64), whyZh(e.Why)})
		}
		if len(rows) == 0 {
			rows = [][]string{{"", "无", "", ""}}
		}
		p.table([]float64{0, 12, 62, 80}, []string{"名次", "对象", "得分", "上榜指标"}, rows, 9)
	}
	list("红榜", r.Red)
	list("黑榜", r.Black)
	p.line(13, black, fmt.Sprintf("全部排名（%d）", len(r.Ranked)))
	var rows [][]string
	for _, e := range r.Ranked {
		rows = append(rows, []string{strconv.Itoa(e.Place), e.Name, strconv.FormatFloat(e.Score, 'f', 1, 64)})
	}
	p.table([]float64{0, 12, 62}, []string{"名次", "对象", "得分"}, rows, 9)
	if r.Unranked > 0 {
		p.line(9, grey, fmt.Sprintf("案件不足未排名：%d 个", r.Unranked))
	}
	return p.bytes(title)
}
