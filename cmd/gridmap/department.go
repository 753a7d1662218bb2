package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
)

const departmentUsage = `usage:
  gridmap department members add --department CODE --name NAME --role head|staff [--phone PHONE]
  gridmap department members list [--department CODE] [--retired]
  gridmap department members retire --department CODE ID

The people of the departments (issue 14), whom the desk offers as the person
responsible when it dispatches. CODE is a department's code (police,
justice, …: GET /api/v1/departments). A retired person leaves the list; the
row stays, with when they left (list --retired).`

// cmdDepartment adds, lists and retires the people of the departments.
func cmdDepartment(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 || args[0] != "members" {
		fmt.Fprintln(stderr, departmentUsage)
		return errors.New("gridmap department: say members add, list or retire")
	}
	sub, rest := args[1], args[2:]
	fs := newFlags("department members " + sub)
	dept := fs.String("department", "", "the department's code, such as police")
	var name, role, phone *string
	var retired *bool
	switch sub {
	case "add":
		name = fs.String("name", "", "the person's name")
		role = fs.String("role", "", "head (负责人) or staff (工作人员)")
		phone = fs.String("phone", "", "the person's phone (personal data)")
	case "list":
		retired = fs.Bool("retired", false, "list those who left too")
	case "retire":
	default:
		fmt.Fprintln(stderr, departmentUsage)
		return fmt.Errorf("gridmap department members: unknown %q; say add, list or retire", sub)
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if err := gridmap.CheckText("--department", *dept, gridmap.MaxName, false); err != nil {
		return err
	}
	var id int64
	switch {
	case sub == "add" && (*dept == "" || *name == "" || *role == "" || fs.NArg() > 0):
		fmt.Fprintln(stderr, departmentUsage)
		return errors.New("gridmap department members add needs --department, --name and --role")
	case sub == "list" && fs.NArg() > 0:
		fmt.Fprintln(stderr, departmentUsage)
		return errors.New("gridmap department members list takes flags only")
	case sub == "retire":
		var err error
		if fs.NArg() == 1 {
			id, err = strconv.ParseInt(fs.Arg(0), 10, 64)
		}
		if *dept == "" || fs.NArg() != 1 || err != nil || id <= 0 {
			fmt.Fprintln(stderr, departmentUsage)
			return errors.New("gridmap department members retire needs --department and the person's id (from list)")
		}
	}
	m := caseflow.Member{Department: *dept}
	if sub == "add" {
		m.Name, m.Role, m.Phone = *name, *role, *phone
		// Checked before the database is opened, so a bad flag is named at once.
		if err := caseflow.CheckMember(&m); err != nil {
			return err
		}
	}
	st, err := openStore(ctx, loadConfig())
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "add":
		out, err := st.AddDepartmentMember(ctx, m)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "person %d added to %s: %s (%s)\n", out.ID, out.Department, out.Name, out.Role)
	case "retire":
		out, err := st.RetireDepartmentMember(ctx, *dept, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "person %d (%s) of %s retired at %s\n", out.ID, out.Name, out.Department, out.RetiredAt.Format(time.RFC3339))
	case "list":
		ms, err := st.DepartmentMembers(ctx, *dept, *retired)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tDEPARTMENT\tROLE\tNAME\tPHONE\tRETIRED")
		for _, m := range ms {
			r := ""
			if m.RetiredAt != nil {
				r = m.RetiredAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Department, m.Role, m.Name, m.Phone, r)
		}
		return tw.Flush()
	}
	return nil
}
