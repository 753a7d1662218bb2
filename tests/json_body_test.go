package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestJSONBodyRule (issue 12): every JSON endpoint takes its body by one
// rule, whatever the Content-Type says: curl -d's default
// application/x-www-form-urlencoded, none, or application/json (plan
// writes used to refuse what incident posts accepted); a body that is not
// JSON is 400 problem+json saying the rule and the type it came with.
func TestJSONBodyRule(t *testing.T) {
	srv, _, ix := incidentInstance(t)
	base := srv.URL + "/api/v1"
	p := inside(t, ix, "37081200100101")
	const micro = "37081200100101"

	for i, ct := range []string{"application/x-www-form-urlencoded", "", "application/json; charset=utf-8", "text/plain"} {
		t.Run(fmt.Sprintf("Content-Type %q", ct), func(t *testing.T) {
			want := func(what string, status int, resp *http.Response, body []byte) {
				t.Helper()
				if resp.StatusCode != status {
					t.Errorf("%s: %d %s, want %d", what, resp.StatusCode, body, status)
				}
			}
			in, _ := json.Marshal(incident(fmt.Sprintf("CT-%d", i), p, "hazard"))
			resp, body := do(t, "POST", base+"/incidents", "", ct, string(in))
			want("POST /incidents", 201, resp, body)
			var inc struct{ ID int64 }
			_ = json.Unmarshal(body, &inc)
			resp, body = do(t, "PATCH", fmt.Sprintf("%s/incidents/%d", base, inc.ID), "", ct, `{"status":"accepted"}`)
			want("PATCH /incidents/{id}", 200, resp, body)

			resp, body = do(t, "POST", base+"/plans", "", ct, `{"title":"content types"}`)
			want("POST /plans", 201, resp, body)
			var pl struct{ ID int64 }
			_ = json.Unmarshal(body, &pl)
			resp, body = do(t, "POST", fmt.Sprintf("%s/plans/%d/changes", base, pl.ID), "", ct, `{"kind":"replace","code":"`+micro+`","name":"改名"}`)
			want("POST /plans/{id}/changes", 200, resp, body)
			resp, body = do(t, "POST", fmt.Sprintf("%s/plans/%d/discard", base, pl.ID), "", ct, `{}`)
			want("POST /plans/{id}/discard", 200, resp, body)

			resp, body = do(t, "POST", base+"/lookup", "", ct, fmt.Sprintf(`{"points":[[%s,%s]]}`, ftoa(p[0]), ftoa(p[1])))
			want("POST /lookup", 200, resp, body)
			if !strings.Contains(string(body), micro) {
				t.Errorf("POST /lookup: %s", body)
			}

			resp, _ = do(t, "GET", base+"/grids/"+micro, "", "", "")
			etag := resp.Header.Get("ETag")
			req, _ := http.NewRequest("PATCH", base+"/grids/"+micro, strings.NewReader(fmt.Sprintf(`{"name":"第1网格%d"}`, i)))
			req.Header.Set("If-Match", etag)
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			r2, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r2.Body.Close()
			if r2.StatusCode != 200 {
				t.Errorf("PATCH /grids/{code}: %d", r2.StatusCode)
			}
		})
	}

	// Not JSON: the rule is said, with the type the body came as.
	for _, c := range []struct{ method, path string }{
		{"POST", "/incidents"}, {"PATCH", "/incidents/1"}, {"POST", "/plans"}, {"POST", "/lookup"},
	} {
		resp, body := do(t, c.method, base+c.path, "", "application/x-www-form-urlencoded", "title=x&actor=y")
		var pr problem
		_ = json.Unmarshal(body, &pr)
		wantProblem(t, resp, pr, 400)
		if !strings.Contains(pr.Detail, "whatever the Content-Type") || !strings.Contains(pr.Detail, "application/x-www-form-urlencoded") {
			t.Errorf("%s %s with a form body: %q does not say the rule", c.method, c.path, pr.Detail)
		}
	}
}
