package tests

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestPlanBaseFromETag (issue 12): a change's base may be the number in
// the grid's ETag or the ETag itself, as the README says; the plan keeps
// it as {code: version}, and a version that is no longer current is 409.
func TestPlanBaseFromETag(t *testing.T) {
	srv, _ := instance(t, demoDB(t))
	base := srv.URL + "/api/v1"
	const micro = "37081200100101"
	resp, _ := do(t, "GET", base+"/grids/"+micro, "", "", "")
	etag := resp.Header.Get("ETag") // "g123"
	var ver int64
	if _, err := fmt.Sscanf(etag, `"g%d"`, &ver); err != nil {
		t.Fatalf("ETag %q", etag)
	}
	// Each on a plan of its own: only the first change of a plan to touch
	// a grid holds its base.
	changes := func() string {
		_, body := do(t, "POST", base+"/plans", "", "application/json", `{"title":"base"}`)
		var pl struct{ ID int64 }
		_ = json.Unmarshal(body, &pl)
		return fmt.Sprintf("%s/plans/%d/changes", base, pl.ID)
	}
	for _, b := range []string{fmt.Sprint(ver), fmt.Sprintf("%q", etag), fmt.Sprintf(`{%q: %d}`, micro, ver)} {
		resp, body := do(t, "POST", changes(), "", "application/json", `{"kind":"replace","code":"`+micro+`","name":"改名","base":`+b+`}`)
		if resp.StatusCode != 200 || !strings.Contains(string(body), fmt.Sprintf(`"base":{%q:%d}`, micro, ver)) {
			t.Errorf("base %s: %d %s", b, resp.StatusCode, body)
		}
	}
	resp, body := do(t, "POST", changes(), "", "application/json", fmt.Sprintf(`{"kind":"retire","code":%q,"base":%d}`, micro, ver-1))
	if resp.StatusCode != 409 {
		t.Errorf("a stale base: %d %s, want 409", resp.StatusCode, body)
	}
	resp, body = do(t, "POST", changes(), "", "application/json", `{"kind":"merge","codes":["37081200100101","37081200100102"],"grid":{"code":"37081200100101"},"base":1}`)
	if resp.StatusCode != 400 || !strings.Contains(string(body), `{\"CODE\": version}`) {
		t.Errorf("one number for a merge: %d %s, want 400 saying the shape", resp.StatusCode, body)
	}
}
