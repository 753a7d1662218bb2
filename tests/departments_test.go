package tests

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
)

// Issue 14: the people of the departments over HTTP. Names and phones are
// personal data: in full for admin, dispatcher and the department's own
// token, masked for a viewer and another department; only the admin adds
// and retires.

type deptMembersAnswer struct {
	Members []struct {
		ID        int64   `json:"id"`
		Name      string  `json:"name"`
		Role      string  `json:"role"`
		Phone     string  `json:"phone"`
		RetiredAt *string `json:"retired_at"`
	} `json:"members"`
	PersonalData string `json:"personal_data"`
}

func TestDepartmentMembersHTTP(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	admin := mint(t, a, gridmap.RoleAdmin, "admin", "")
	dispatcher := mint(t, a, gridmap.RoleDispatcher, "指挥中心", "")
	viewer := mint(t, a, gridmap.RoleViewer, "viewer", "")
	police := deptToken(t, a, "派出所", "police")
	justice := deptToken(t, a, "司法所", "justice")
	u := srv.URL + "/api/v1/departments/police/members"

	// Only the admin adds.
	body := `{"name":"张演示811","role":"head","phone":"199-0537-8811"}`
	for name, tok := range map[string]string{"dispatcher": dispatcher, "viewer": viewer, "police": police, "anonymous": ""} {
		if resp, b := do(t, "POST", u, tok, "application/json", body); resp.StatusCode != 401 && resp.StatusCode != 403 {
			t.Errorf("%s adds a person: %d %s", name, resp.StatusCode, b)
		}
	}
	resp, b := do(t, "POST", u, admin, "application/json", body)
	var added struct{ Member struct{ ID int64 } }
	if resp.StatusCode != 201 || json.Unmarshal(b, &added) != nil || added.Member.ID == 0 {
		t.Fatalf("admin adds a person: %d %s", resp.StatusCode, b)
	}
	if resp, b := do(t, "POST", u, admin, "application/json", `{"name":"李演示812","role":"staff"}`); resp.StatusCode != 201 {
		t.Fatalf("admin adds a person without a phone: %d %s", resp.StatusCode, b)
	}

	// Refusals: 400 problem+json naming the field, 404 for an unknown department.
	for _, c := range []struct{ name, path, body, names string }{
		{"NUL", "police", `{"name":"张\u0000演示","role":"staff"}`, "name"},
		{"invalid UTF-8", "police", "{\"name\":\"\xC3\x28\",\"role\":\"staff\"}", "name"},
		{"control character in phone", "police", `{"name":"张演示","role":"staff","phone":"199\u0007"}`, "phone"},
		{"too long", "police", `{"name":"` + strings.Repeat("张", 201) + `","role":"staff"}`, "name"},
		{"bad role", "police", `{"name":"张演示","role":"boss"}`, "role"},
		{"no name", "police", `{"role":"staff"}`, "name"},
		{"unknown field", "police", `{"name":"张演示","role":"staff","email":"x"}`, "email"},
		{"unknown department", "nope", `{"name":"张演示","role":"staff"}`, "nope"},
	} {
		resp, b := do(t, "POST", srv.URL+"/api/v1/departments/"+c.path+"/members", admin, "application/json", c.body)
		want := 400
		if c.name == "unknown department" {
			want = 404
		}
		if resp.StatusCode != want || resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(b), c.names) {
			t.Errorf("%s: %d %s %s; want %d problem+json naming %s", c.name, resp.StatusCode, resp.Header.Get("Content-Type"), b, want, c.names)
		}
	}

	list := func(tok, query string) deptMembersAnswer {
		t.Helper()
		resp, b := do(t, "GET", u+query, tok, "", "")
		var out deptMembersAnswer
		if resp.StatusCode != 200 || json.Unmarshal(b, &out) != nil {
			t.Fatalf("listing: %d %s", resp.StatusCode, b)
		}
		return out
	}
	for name, tok := range map[string]string{"admin": admin, "dispatcher": dispatcher, "police": police} {
		got := list(tok, "")
		if got.PersonalData != "full" || len(got.Members) != 2 || got.Members[0].Name != "张演示811" || got.Members[0].Role != "head" ||
			got.Members[0].Phone != "199-0537-8811" || got.Members[1].Name != "李演示812" {
			t.Errorf("%s lists: %+v; want both people in full, the head first", name, got)
		}
	}
	for name, tok := range map[string]string{"viewer": viewer, "justice": justice} {
		got := list(tok, "")
		if got.PersonalData != "masked" || len(got.Members) != 2 || got.Members[0].Name != "张*****" || got.Members[0].Phone != "199-****-8811" ||
			got.Members[0].Role != "head" {
			t.Errorf("%s lists: %+v; want the roles with names and phones masked", name, got)
		}
	}
	if resp, _ := do(t, "GET", u, "", "", ""); resp.StatusCode != 401 {
		t.Errorf("anonymous lists: %d, want 401", resp.StatusCode)
	}
	if resp, b := do(t, "GET", srv.URL+"/api/v1/departments/nope/members", admin, "", ""); resp.StatusCode != 404 {
		t.Errorf("unknown department: %d %s", resp.StatusCode, b)
	}

	// Retiring: admin only, once; the row stays for ?retired=true.
	one := u + "/" + strconv.FormatInt(added.Member.ID, 10)
	if resp, _ := do(t, "DELETE", one, dispatcher, "", ""); resp.StatusCode != 403 {
		t.Errorf("dispatcher retires: %d, want 403", resp.StatusCode)
	}
	if resp, b := do(t, "DELETE", srv.URL+"/api/v1/departments/justice/members/"+strconv.FormatInt(added.Member.ID, 10), admin, "", ""); resp.StatusCode != 404 {
		t.Errorf("retiring through another department: %d %s, want 404", resp.StatusCode, b)
	}
	if resp, b := do(t, "DELETE", one, admin, "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), "retired_at") {
		t.Fatalf("admin retires: %d %s", resp.StatusCode, b)
	}
	if resp, b := do(t, "DELETE", one, admin, "", ""); resp.StatusCode != 409 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("retiring twice: %d %s, want 409 problem+json", resp.StatusCode, b)
	}
	if got := list(admin, ""); len(got.Members) != 1 || got.Members[0].Name != "李演示812" {
		t.Errorf("after the retirement: %+v", got)
	}
	if got := list(admin, "?retired=true"); len(got.Members) != 2 || got.Members[0].RetiredAt == nil {
		t.Errorf("with the retired: %+v", got)
	}
}
