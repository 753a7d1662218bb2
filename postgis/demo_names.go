package postgis

import (
	"fmt"
	"math/rand/v2"
)

// villageNames are invented village and community names in the local style.
var villageNames = []string{
	"东关社区", "西关社区", "南园村", "北苑社区", "杏林村", "桃园村", "柳林村", "槐树村",
	"石桥村", "新华社区", "龙泉社区", "青莲村", "范家村", "王庄村", "李家营村", "张家店村",
	"孙庄村", "赵营村", "周家屯村", "吴家楼村", "郑庄村", "冯家村", "陈庄村", "褚家洼村",
	"卫庄村", "蒋家村", "沈庄村", "韩家岭村", "杨庄村", "朱家坡村", "秦庄社区",
}

var surnames = []rune("王李张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")

// namer hands out fictional people: names of the form 姓 + 演示 + number
// ("王演示07"), so nobody can mistake them for residents, and phone numbers in
// one made-up block.
type namer struct {
	rng *rand.Rand
	n   int
}

func newNamer(seed int) *namer {
	return &namer{rng: rand.New(rand.NewPCG(uint64(seed), 0x6772_6964))}
}

func (p *namer) name() string {
	p.n++
	return fmt.Sprintf("%c演示%02d", surnames[p.rng.IntN(len(surnames))], p.n)
}

func (p *namer) phone() string {
	return fmt.Sprintf("199-0537-%04d", p.n)
}
