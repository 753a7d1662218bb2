package postgis_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/migrations"
)

// TestDepartmentMembers: people are added, listed by department (heads
// first) or all, retired once (the row stays), and the demo's people are
// added to empty departments only.
func TestDepartmentMembers(t *testing.T) {
	st, _, _ := demoStreet(t)
	ctx := context.Background()
	code := gridmap.ErrorCode
	staff, err := st.AddDepartmentMember(ctx, caseflow.Member{Department: "police", Name: " 李演示801 ", Role: "staff", Phone: "199-0537-8801"})
	if err != nil || staff.ID == 0 || staff.Name != "李演示801" || staff.RetiredAt != nil {
		t.Fatalf("adding: %+v %v", staff, err)
	}
	head, err := st.AddDepartmentMember(ctx, caseflow.Member{Department: "police", Name: "张演示802", Role: "head"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddDepartmentMember(ctx, caseflow.Member{Department: "justice", Name: "赵演示803", Role: "staff"}); err != nil {
		t.Fatal(err)
	}
	ms, err := st.DepartmentMembers(ctx, "police", false)
	if err != nil || len(ms) != 2 || ms[0].ID != head.ID || ms[1].ID != staff.ID {
		t.Fatalf("police: %+v %v; want the head then the staff", ms, err)
	}
	all, err := st.DepartmentMembers(ctx, "", false)
	if err != nil || len(all) != 3 || all[2].Department != "justice" {
		t.Fatalf("all: %+v %v", all, err)
	}
	for _, c := range []struct {
		name string
		m    caseflow.Member
		want string
	}{
		{"unknown department", caseflow.Member{Department: "nope", Name: "王演示", Role: "staff"}, gridmap.ENOTFOUND},
		{"no name", caseflow.Member{Department: "police", Name: "  ", Role: "staff"}, gridmap.EINVALID},
		{"bad role", caseflow.Member{Department: "police", Name: "王演示", Role: "boss"}, gridmap.EINVALID},
		{"NUL", caseflow.Member{Department: "police", Name: "王\x00演示", Role: "staff"}, gridmap.EINVALID},
		{"invalid UTF-8", caseflow.Member{Department: "police", Name: "王演示", Role: "staff", Phone: "\xC3\x28"}, gridmap.EINVALID},
		{"long phone", caseflow.Member{Department: "police", Name: "王演示", Role: "staff", Phone: strings.Repeat("1", 41)}, gridmap.EINVALID},
	} {
		if _, err := st.AddDepartmentMember(ctx, c.m); code(err) != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
	if _, err := st.DepartmentMembers(ctx, "nope", false); code(err) != gridmap.ENOTFOUND {
		t.Errorf("listing an unknown department: %v", err)
	}

	r, err := st.RetireDepartmentMember(ctx, "police", staff.ID)
	if err != nil || r.RetiredAt == nil {
		t.Fatalf("retiring: %+v %v", r, err)
	}
	if _, err := st.RetireDepartmentMember(ctx, "police", staff.ID); code(err) != gridmap.ECONFLICT {
		t.Errorf("retiring twice: %v, want ECONFLICT", err)
	}
	if _, err := st.RetireDepartmentMember(ctx, "justice", head.ID); code(err) != gridmap.ENOTFOUND {
		t.Errorf("retiring in another department: %v, want ENOTFOUND", err)
	}
	if ms, _ := st.DepartmentMembers(ctx, "police", false); len(ms) != 1 || ms[0].ID != head.ID {
		t.Errorf("police after the retirement: %+v", ms)
	}
	if ms, _ := st.DepartmentMembers(ctx, "police", true); len(ms) != 2 {
		t.Errorf("police with the retired: %+v", ms)
	}

	// The demo: police and justice have people, the nine others get three.
	n, err := st.DemoDepartmentMembers(ctx, demodata.DepartmentMembers())
	if err != nil || n != 27 {
		t.Fatalf("demo people: %d %v, want 27", n, err)
	}
	if n, err := st.DemoDepartmentMembers(ctx, demodata.DepartmentMembers()); err != nil || n != 0 {
		t.Errorf("demo people again: %d %v, want 0", n, err)
	}

	// 00014 down and up: the people stay; the retirement is forgotten.
	db := stdlib.OpenDBFromPool(st.Pool())
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 13); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if ms, err := st.DepartmentMembers(ctx, "", false); err != nil || len(ms) != 30 {
		t.Errorf("after 00014 down and up: %d people (%v), want 30", len(ms), err)
	}
}
