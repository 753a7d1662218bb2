package gridmap

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Role is what an API token may do (issue 7). Roles are not a ladder:
// a reporter may report and read personal data, a planner may redraw
// boundaries but not read personal data, an admin may do everything.
type Role string

// The roles.
const (
	// RoleViewer reads everything that is not personal data: incidents
	// (without reporter or description), plans, metrics.
	RoleViewer Role = "viewer"
	// RoleReporter also posts and updates incidents and reads personal
	// data (reporters, descriptions, member contacts); a reporter token
	// scoped to a grid (a grid worker's) reads the personal data of that
	// grid's incidents only, and posts and updates only incidents of that
	// grid and the grids below it.
	RoleReporter Role = "reporter"
	// RolePlanner also drafts, validates and publishes boundary plans.
	RolePlanner Role = "planner"
	// RoleAdmin may do everything, including what no rule names.
	RoleAdmin Role = "admin"
	// RoleDispatcher is the command centre (指挥中心, issue 14): it reads
	// as a reporter does (personal data of every incident), posts and
	// updates incidents, and takes the dispatcher's steps of the case loop
	// (caseflow) on any case, and links duplicates.
	RoleDispatcher Role = "dispatcher"
	// RoleDepartment is a department's staff (职能部门, issue 14); its token
	// names the department (Token.Department). It reads as a viewer does,
	// plus the personal data of the cases given to its department, and
	// takes the department's steps on those cases only. It does not post
	// incidents.
	RoleDepartment Role = "department"
)

// Roles lists the roles.
var Roles = []Role{RoleViewer, RoleReporter, RolePlanner, RoleAdmin, RoleDispatcher, RoleDepartment}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Token is an API token as stored: never the token itself, only the
// SHA-256 of its secret part (Hash). A token reads
// "gm_<id>_<secret>", the secret 32 random bytes in unpadded base64url.
type Token struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Grid, when set, scopes a reporter's personal data and incident
	// writes to the incidents of this grid and the grids below it (a grid
	// worker's token).
	Grid string `json:"grid,omitempty"`
	// Department is the department code of a RoleDepartment token (set
	// for that role, and only for it).
	Department string     `json:"department,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Hash       []byte     `json:"-"`
}

// TokenSpec is what a new token is made of: who holds it, its role, and
// its scope (Grid for a reporter, Department for a department).
type TokenSpec struct {
	Name       string
	Role       Role
	Grid       string
	Department string
}

// TokenService creates, lists and revokes API tokens. Implemented by
// postgis.Store.
type TokenService interface {
	// CreateToken stores a new token and returns it in full (the only
	// time it is shown) with its record. Errors: EINVALID.
	CreateToken(ctx context.Context, name string, role Role, grid string) (token string, t Token, err error)
	// CreateTokenFor is CreateToken with every field of spec (a
	// department token names its department). Errors: EINVALID.
	CreateTokenFor(ctx context.Context, spec TokenSpec) (token string, t Token, err error)
	// RevokeToken revokes the token with the id. Errors: ENOTFOUND.
	RevokeToken(ctx context.Context, id int64) (Token, error)
	// Tokens returns every token, revoked ones included, with hashes.
	Tokens(ctx context.Context) ([]Token, error)
}

const tokenPrefix = "gm_"

// NewTokenSecret returns a fresh random secret for a token (32 bytes from
// crypto/rand, unpadded base64url) and its hash to store.
func NewTokenSecret() (secret string, hash []byte) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	secret = base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashTokenSecret(secret)
}

// HashTokenSecret returns the SHA-256 of a token's secret part. A secret
// has 256 random bits, so a fast hash is enough: there is nothing to guess.
func HashTokenSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// FormatToken returns the token text of id and secret.
func FormatToken(id int64, secret string) string {
	return tokenPrefix + strconv.FormatInt(id, 10) + "_" + secret
}

// ParseToken splits a token into its id and secret; ok is false for text
// that is not shaped like a token.
func ParseToken(s string) (id int64, secret string, ok bool) {
	rest, found := strings.CutPrefix(s, tokenPrefix)
	if !found {
		return 0, "", false
	}
	num, secret, found := strings.Cut(rest, "_")
	if !found || len(secret) != 43 || len(num) == 0 || len(num) > 18 {
		return 0, "", false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 {
		return 0, "", false
	}
	return id, secret, true
}
