package demodata

import (
	"fmt"

	"github.com/gridmap/gridmap/caseflow"
)

// departmentOrder is the department table of migration 00007, in order.
var departmentOrder = []string{"command", "police", "justice", "petition", "enforcement", "emergency",
	"sanitation", "civil_affairs", "service", "civilised_city", "court"}

// DepartmentMembers returns the demo's people of each department: a head
// and two staff, named as the demo's other fictional people (姓 + 演示 +
// a number, here 901 and up) with phones in the demo's made-up block
// (199-0537-9xxx), so nobody mistakes them for real officials.
func DepartmentMembers() []caseflow.Member {
	const surnames = "张王李赵刘陈杨黄周吴孙"
	sn := []rune(surnames)
	var out []caseflow.Member
	n := 900
	for i, code := range departmentOrder {
		for k, role := range []string{caseflow.MemberHead, caseflow.MemberStaff, caseflow.MemberStaff} {
			n++
			out = append(out, caseflow.Member{Department: code, Role: role,
				Name:  fmt.Sprintf("%c演示%03d", sn[(i+k)%len(sn)], n),
				Phone: fmt.Sprintf("199-0537-%04d", 9000+n)})
		}
	}
	return out
}
