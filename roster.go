package gridmap

import (
	"context"
	"time"
	"unicode"
)

// RosterEntry is one version of a person on the roster: who served which
// grid, in which role, from ValidFrom until ValidTo (nil: serves now).
// Every change of a person (a move, a new phone or role) closes one
// version and opens the next under the same ID; retiring closes the last.
// Name and Contact are personal data.
type RosterEntry struct {
	ID      int64 `json:"id"`      // the person: stable through every change
	Version int64 `json:"version"` // this row: grows with every change
	Member
	ValidFrom   time.Time  `json:"valid_from"`
	ValidTo     *time.Time `json:"valid_to,omitempty"`
	ChangedBy   string     `json:"changed_by,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	ClosedBy    string     `json:"closed_by,omitempty"`
	CloseReason string     `json:"close_reason,omitempty"`
}

// RosterEdit is a change to a person on the roster. For an addition every
// field but Reason is needed; for a change the empty ones stay as they were.
type RosterEdit struct {
	GridCode string `json:"grid"`
	Role     string `json:"role"`
	Name     string `json:"name"`
	Contact  string `json:"contact"`
	Reason   string `json:"reason"`
	// Actor is who makes the change (the token's name).
	Actor string `json:"-"`
	// IfVersion, when non-zero, refuses the change unless the person's
	// current version is this one (EPRECONDITION): a second editor does not
	// silently undo the first.
	IfVersion int64 `json:"-"`
}

// RosterFilter selects roster rows: one grid's or everyone's ("" Grid),
// as they are now or were at AsOf, or every version (History).
type RosterFilter struct {
	Grid    string
	AsOf    *time.Time
	History bool
}

// RosterService reads and edits the roster. Every write bumps the data
// version and announces it on GridsChannel, so every instance's lookups
// answer with the new people; it returns the data version it made.
// Implemented by postgis.Store.
type RosterService interface {
	Roster(ctx context.Context, f RosterFilter) ([]RosterEntry, error)
	// AddMember puts a new person on the roster. Errors: EINVALID (an
	// unknown or retired grid, a bad role or text).
	AddMember(ctx context.Context, e RosterEdit) (RosterEntry, int64, error)
	// ChangeMember moves a person or changes their role, name or contact.
	// Errors: ENOTFOUND (no such person, or retired), EINVALID, ECONFLICT
	// (nothing would change), EPRECONDITION (IfVersion).
	ChangeMember(ctx context.Context, id int64, e RosterEdit) (RosterEntry, int64, error)
	// RetireMember takes a person off the roster; the history keeps them.
	// Errors: ENOTFOUND, EPRECONDITION.
	RetireMember(ctx context.Context, id int64, e RosterEdit) (RosterEntry, int64, error)
}

// CheckRosterEdit checks the text of an edit: lines of at most MaxName
// characters, a known role, a contact of digits, spaces, '+', '-' and
// parentheses. full: every field but reason is needed (an addition).
// Errors: EINVALID naming the field.
func CheckRosterEdit(e RosterEdit, full bool) error {
	for _, f := range []struct{ name, v string }{{"grid", e.GridCode}, {"role", e.Role}, {"name", e.Name}, {"contact", e.Contact}, {"reason", e.Reason}} {
		if err := CheckText(f.name, f.v, MaxName, false); err != nil {
			return err
		}
		if full && f.name != "reason" && f.name != "contact" && f.v == "" {
			return Errorf(EINVALID, "%s is required: a new person needs a grid, a role and a name", f.name)
		}
	}
	if e.Role != "" && !validRole(e.Role) {
		return Errorf(EINVALID, "role %q is not one of leader, worker, legal_adviser, police_assistant", e.Role)
	}
	if e.Name != "" && len([]rune(e.Name)) > 64 {
		return Errorf(EINVALID, "name has more than 64 characters")
	}
	digits := 0
	for _, c := range e.Contact {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ' || c == '+' || c == '-' || c == '(' || c == ')':
		default:
			return Errorf(EINVALID, "contact %q is not a phone number: use digits, spaces, '+', '-' and parentheses", e.Contact)
		}
	}
	if e.Contact != "" && (digits < 5 || digits > 20) {
		return Errorf(EINVALID, "contact %q is not a phone number: it needs 5 to 20 digits", e.Contact)
	}
	if e.Name != "" && !hasLetter(e.Name) {
		return Errorf(EINVALID, "name %q has no letter", e.Name)
	}
	return nil
}

func validRole(r string) bool {
	for _, x := range MemberRoles {
		if r == x {
			return true
		}
	}
	return false
}

func hasLetter(s string) bool {
	for _, c := range s {
		if unicode.IsLetter(c) {
			return true
		}
	}
	return false
}
