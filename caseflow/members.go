package caseflow

import (
	"strings"
	"time"

	"github.com/gridmap/gridmap"
)

// Member roles in a department (migration 00007): what the desk shows
// beside a name. The loop role of a token is another thing (Role).
const (
	MemberHead  = "head"  // 负责人
	MemberStaff = "staff" // 工作人员
)

// maxPhone bounds a phone line: a number with its separators and an
// extension.
const maxPhone = 40

// Member is one person of a department. Name and Phone are personal data.
// RetiredAt is set once the person has left; the row stays, since
// dispatch steps name people as text.
type Member struct {
	ID         int64      `json:"id"`
	Department string     `json:"department"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Phone      string     `json:"phone,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	RetiredAt  *time.Time `json:"retired_at,omitempty"`
}

// CheckMember trims a new member's text and checks it: a name of one line
// of at most gridmap.MaxName characters, the role head or staff, a phone
// of one line of at most 40 characters (may be empty). Errors: EINVALID
// naming the field.
func CheckMember(m *Member) error {
	m.Name, m.Role, m.Phone = strings.TrimSpace(m.Name), strings.TrimSpace(m.Role), strings.TrimSpace(m.Phone)
	if err := gridmap.CheckText("name", m.Name, gridmap.MaxName, false); err != nil {
		return err
	}
	if m.Name == "" {
		return gridmap.Errorf(gridmap.EINVALID, "name is missing: give the person's name")
	}
	if err := gridmap.CheckText("role", m.Role, gridmap.MaxName, false); err != nil {
		return err
	}
	if m.Role != MemberHead && m.Role != MemberStaff {
		return gridmap.Errorf(gridmap.EINVALID, "role %q is not a member role: give head (负责人) or staff (工作人员)", m.Role)
	}
	return gridmap.CheckText("phone", m.Phone, maxPhone, false)
}
