package caseflow

import (
	"fmt"
	"strings"
)

// Markdown renders the table of the loop (every status, the steps people
// may take in it, by whom, and where each leads) as a Markdown table, for
// README.md (a test keeps the two equal). Steps only the system role
// takes (for stored statuses) are marked so.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| status | step | who may take it | leads to |\n|---|---|---|---|\n")
	for _, ru := range rules {
		var who []string
		for _, r := range ru.Roles {
			if r != RoleSystem {
				who = append(who, string(r))
			}
		}
		w := strings.Join(who, ", ")
		if w == "" {
			w = "system only (a stored status)"
		}
		to := fmt.Sprintf("%s %s", ru.To, ru.To.LabelZh())
		switch ru.Step {
		case StepReview:
			to += "; send back: in_progress 处置中"
		case StepRevisit:
			to += "; not satisfied: in_progress 处置中"
		}
		fmt.Fprintf(&b, "| %s %s | %s %s | %s | %s |\n", ru.From, ru.From.LabelZh(), ru.Step, ru.Step.Labels().Zh, w, to)
	}
	return b.String()
}
