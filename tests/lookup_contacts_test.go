package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
)

// TestLookupContactsDocumented (issue 12): a lookup shows members'
// contacts by role — in full to reporters and admins, masked to viewers,
// not at all without a token — and openapi.json says so (it said "no
// contacts").
func TestLookupContactsDocumented(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	ix, _ := a.Live.Index()
	p := inside(t, ix, "37081200100101")
	// Minted before any request: the server reloads unknown tokens at
	// most once a second.
	viewer, reporter, admin := mint(t, a, gridmap.RoleViewer, "v", ""), mint(t, a, gridmap.RoleReporter, "r", ""), mint(t, a, gridmap.RoleAdmin, "a", "")
	u := srv.URL + "/api/v1/lookup?lon=" + ftoa(p[0]) + "&lat=" + ftoa(p[1])
	contacts := func(token string) (full, masked int) {
		t.Helper()
		_, body := do(t, "GET", u, token, "", "")
		var res struct{ Members []struct{ Contact string } }
		if err := json.Unmarshal(body, &res); err != nil || len(res.Members) == 0 {
			t.Fatalf("lookup: %v %s", err, body)
		}
		for _, m := range res.Members {
			switch {
			case strings.Contains(m.Contact, "*"):
				masked++
			case m.Contact != "":
				full++
			}
		}
		return full, masked
	}
	if f, m := contacts(""); f+m != 0 {
		t.Errorf("anonymous lookup: %d contacts", f+m)
	}
	if f, m := contacts(viewer); f != 0 || m == 0 {
		t.Errorf("viewer lookup: %d full, %d masked contacts, want masked only", f, m)
	}
	for role, tok := range map[gridmap.Role]string{gridmap.RoleReporter: reporter, gridmap.RoleAdmin: admin} {
		if f, _ := contacts(tok); f == 0 {
			t.Errorf("%s lookup: no contacts", role)
		}
	}

	var doc struct {
		// A path item holds operations and, maybe, its parameters (a list).
		Paths      map[string]map[string]json.RawMessage
		Components struct {
			Schemas map[string]json.RawMessage
		}
	}
	get(t, srv.URL+"/api/v1/openapi.json", &doc)
	var op struct{ Description string }
	if err := json.Unmarshal(doc.Paths["/api/v1/lookup"]["get"], &op); err != nil {
		t.Fatal(err)
	}
	if d := op.Description; strings.Contains(d, "no contacts") || !strings.Contains(d, "contact") {
		t.Errorf("GET /api/v1/lookup is described as %q; it should say who gets contacts", d)
	}
	var lr struct {
		Properties struct {
			Members struct {
				Items struct {
					Properties map[string]struct{ Description string }
				}
			}
		}
	}
	_ = json.Unmarshal(doc.Components.Schemas["LookupResult"], &lr)
	if c, ok := lr.Properties.Members.Items.Properties["contact"]; !ok || c.Description == "" {
		t.Errorf("LookupResult.members has no documented contact: %+v", lr.Properties.Members.Items.Properties)
	}
}
