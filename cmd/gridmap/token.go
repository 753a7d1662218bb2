package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
)

const tokenUsage = `usage:
  gridmap token create --role viewer|reporter|planner|admin|dispatcher|department --name NAME
                       [--grid CODE] [--department CODE]
                       [--url BASE [--qr] [--qr-png FILE]]
  gridmap token revoke ID|TOKEN
  gridmap token list

create prints the new token alone on its last line. It is shown this once:
only a hash of it is stored. --grid scopes a reporter (a grid worker) to the
personal data of that grid's incidents and to writing them. A department
token (职能部门) names its department (--department police; the codes:
GET /api/v1/departments) and acts on that department's cases only; a
dispatcher is the command centre (指挥中心).

--url BASE is the address phones reach this server at (https://grid.example.cn):
create then prints the field app's sign-in link BASE/field#token=…, and with
--qr that link as a QR code in the terminal (a grid worker scans it with the
field app or the phone's camera), with --qr-png FILE as a PNG image too.`

// cmdToken creates, revokes and lists API tokens (issue 7).
func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, tokenUsage)
		return errors.New("gridmap token: say create, revoke or list")
	}
	sub, rest := args[0], args[1:]
	cfg := loadConfig()
	switch sub {
	case "create":
		fs := newFlags("token create")
		role := fs.String("role", "", "viewer, reporter, planner, admin, dispatcher or department")
		name := fs.String("name", "", "who or what holds the token (a person, a system)")
		grid := fs.String("grid", "", "reporter only: the grid whose incidents' personal data the token may read")
		dept := fs.String("department", "", "department role only (required there): the department's code, such as police")
		base := fs.String("url", "", "the address phones reach this server at: prints the field app's sign-in link")
		qr := fs.Bool("qr", false, "print the sign-in link as a QR code (needs --url)")
		qrPNG := fs.String("qr-png", "", "write the sign-in link's QR code to this PNG file (needs --url)")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if (*qr || *qrPNG != "") && *base == "" {
			return errors.New("--qr and --qr-png need --url BASE, the address phones reach this server at (such as https://grid.example.cn)")
		}
		if *base != "" {
			if err := checkBaseURL(*base); err != nil {
				return err
			}
		}
		if *role == "" || *name == "" || fs.NArg() > 0 {
			fmt.Fprintln(stderr, tokenUsage)
			return errors.New("gridmap token create needs --role and --name")
		}
		if *grid != "" && gridmap.Role(*role) != gridmap.RoleReporter {
			return errors.New("--grid scopes a reporter's token; other roles have no grid")
		}
		if err := gridmap.CheckText("--name", *name, gridmap.MaxName, false); err != nil {
			return err
		}
		if err := gridmap.CheckText("--grid", *grid, gridmap.MaxName, false); err != nil {
			return err
		}
		if err := gridmap.CheckText("--department", *dept, gridmap.MaxName, false); err != nil {
			return err
		}
		switch isDept := gridmap.Role(*role) == gridmap.RoleDepartment; {
		case isDept && *dept == "":
			return errors.New("a department token needs --department CODE (such as police; GET /api/v1/departments lists the codes)")
		case !isDept && *dept != "":
			return errors.New("--department names a department token's department; other roles have none")
		}
		st, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer st.Close()
		tok, t, err := st.CreateTokenFor(ctx, gridmap.TokenSpec{Name: *name, Role: gridmap.Role(*role), Grid: *grid, Department: *dept})
		if err != nil {
			return err
		}
		scope := ""
		if t.Grid != "" {
			scope = ", grid " + t.Grid
		}
		if t.Department != "" {
			scope = ", department " + t.Department
		}
		fmt.Fprintf(stdout, "token %d created for %s (role %s%s).\n", t.ID, t.Name, t.Role, scope)
		fmt.Fprintln(stdout, "Store it now; it is not shown again. Send it as: Authorization: Bearer <token>")
		if *base != "" {
			link := fieldLink(*base, tok)
			if *qr {
				if err := writeQR(stdout, link); err != nil {
					return err
				}
			}
			if *qrPNG != "" {
				if err := writeQRPNG(*qrPNG, link); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "QR code of the sign-in link written to %s\n", *qrPNG)
			}
			fmt.Fprintln(stdout, "Field app sign-in link (keep it as secret as the token):", link)
		}
		fmt.Fprintln(stdout, tok)
		return nil
	case "revoke":
		fs := newFlags("token revoke")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, tokenUsage)
			return errors.New("gridmap token revoke needs the token's id (from gridmap token list) or the token")
		}
		arg := fs.Arg(0)
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			var ok bool
			if id, _, ok = gridmap.ParseToken(arg); !ok {
				return fmt.Errorf("%q is neither a token id nor a token", arg)
			}
		}
		st, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer st.Close()
		t, err := st.RevokeToken(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %d (%s, role %s) revoked at %s; every instance refuses it from now on\n",
			t.ID, t.Name, t.Role, t.RevokedAt.Format(time.RFC3339))
		return nil
	case "list":
		if err := newFlags("token list").Parse(rest); err != nil {
			return err
		}
		st, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer st.Close()
		ts, err := st.Tokens(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tROLE\tNAME\tGRID\tDEPARTMENT\tCREATED\tREVOKED")
		for _, t := range ts {
			revoked := ""
			if t.RevokedAt != nil {
				revoked = t.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, t.Name, t.Grid, t.Department, t.CreatedAt.Format(time.RFC3339), revoked)
		}
		return tw.Flush()
	}
	fmt.Fprintln(stderr, tokenUsage)
	return fmt.Errorf("unknown token command %q", sub)
}

// loadTrust reads the settings of issue 7 from the environment:
//
//	GRIDMAP_OPEN             classes open without a token (default boundaries,tiles,aggregates,lookups; "none")
//	GRIDMAP_RATE_TOKEN       requests a second per token (default 1000; 0 for no limit)
//	GRIDMAP_RATE_ANON        requests a second per client address without a token (default 200; 0 for no limit)
//	GRIDMAP_RATE_BURST       burst above the rate, a whole number ≥ 1 (default twice the rate)
//	GRIDMAP_REQUEST_TIMEOUT  bound on a request and its queries (default 60s; 0 for none)
//	GRIDMAP_CORS_ORIGINS     origins allowed to call from a browser (default none; "*" for any)
//	GRIDMAP_TRUSTED_PROXIES  reverse proxies whose X-Forwarded-For/-Proto/-Host count (default none)
func loadTrust(t *httpapi.TrustConfig, env *settings) {
	open, err := httpapi.ParseOpen(envOr("GRIDMAP_OPEN", "boundaries,tiles,aggregates,lookups"))
	if err != nil {
		env.errs = append(env.errs, fmt.Errorf("GRIDMAP_OPEN: %w", err))
	}
	t.Open = open
	t.RatePerToken = env.nonNegative("GRIDMAP_RATE_TOKEN", 1000, "no limit")
	t.RatePerIP = env.nonNegative("GRIDMAP_RATE_ANON", 200, "no limit")
	t.RateBurst = env.count("GRIDMAP_RATE_BURST", 0, "twice the rate") // 0: twice the rate
	t.RequestTimeout = 60 * time.Second
	if v := strings.TrimSpace(os.Getenv("GRIDMAP_REQUEST_TIMEOUT")); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil || d < 0:
			env.bad("GRIDMAP_REQUEST_TIMEOUT", v, "a duration such as 60s or 2m (0 for none; default 60s)")
		case d == 0:
			t.RequestTimeout = -1
		default:
			t.RequestTimeout = d
		}
	}
	t.CORSOrigins = httpapi.ParseOrigins(os.Getenv("GRIDMAP_CORS_ORIGINS"))
	if t.TrustedProxies, err = httpapi.ParseProxies(os.Getenv("GRIDMAP_TRUSTED_PROXIES")); err != nil {
		env.errs = append(env.errs, fmt.Errorf("GRIDMAP_TRUSTED_PROXIES: %w", err))
	}
}
