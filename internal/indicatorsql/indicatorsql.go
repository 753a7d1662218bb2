// Package indicatorsql is the indicators of package indicators computed
// in SQL alone, written apart from it: the reference the tests compare the
// in-memory computation with (tests/indicators_test.go) and the baseline
// of its benchmark (postgis/indicators_bench_test.go). Nothing in the
// service runs it.
package indicatorsql

// Indicators computes the indicators in SQL alone, from the stored
// steps and, for a case with none, the steps its status implies (restated
// here from caseflow.Implied's definition, not called): $1 ≤ reported_at <
// $2, open overdue as of $3, grouped by $4 (grid, village, street,
// department, worker). The status after the steps is read from the last
// step that moves it (a supervision does not).
const Indicators = `
WITH RECURSIVE cur AS (SELECT code, level, parent_code FROM grid_version WHERE valid_to IS NULL),
anc AS (SELECT code, code AS a, level FROM cur
        UNION ALL
        SELECT anc.code, c.parent_code, p.level FROM anc JOIN cur c ON c.code = anc.a JOIN cur p ON p.code = c.parent_code),
grp AS (SELECT code, a FROM anc WHERE level = $4),
cases AS (
    SELECT i.*, CASE $4
        WHEN 'grid' THEN i.grid_code
        WHEN 'department' THEN nullif(i.department, '')
        WHEN 'worker' THEN CASE WHEN i.source = 'grid_worker' THEN i.created_by_token::text END
        ELSE g.a END AS key
    FROM incident i LEFT JOIN grp g ON g.code = i.grid_code
    WHERE i.reported_at >= $1 AND i.reported_at < $2),
implied AS (
    SELECT c.id, k.seq, k.step, CASE k.seq
        WHEN 1 THEN coalesce(c.accepted_at, c.in_progress_at, c.resolved_at, c.replied_at, c.closed_at, c.reported_at)
        WHEN 2 THEN coalesce(c.in_progress_at, c.resolved_at, c.replied_at, c.closed_at, c.accepted_at, c.reported_at)
        WHEN 3 THEN coalesce(c.resolved_at, c.replied_at, c.closed_at, c.in_progress_at, c.accepted_at, c.reported_at)
        WHEN 4 THEN coalesce(c.replied_at, c.closed_at, c.resolved_at, c.in_progress_at, c.accepted_at, c.reported_at)
        ELSE coalesce(c.closed_at, c.replied_at, c.resolved_at, c.in_progress_at, c.accepted_at, c.reported_at) END AS at,
        '' AS outcome
    FROM cases c
    JOIN (VALUES (1, 'register'), (2, 'investigate'), (3, 'resolve'), (4, 'reply'), (5, 'close')) AS k (seq, step)
      ON k.seq < array_position(ARRAY['reported', 'accepted', 'in_progress', 'resolved', 'replied', 'closed'], c.status)
    WHERE NOT EXISTS (SELECT 1 FROM incident_step s WHERE s.incident_id = c.id)),
steps AS (
    SELECT s.incident_id AS id, s.seq, s.step, s.at, coalesce(s.payload->>'outcome', '') AS outcome
    FROM incident_step s JOIN cases c ON c.id = s.incident_id
    UNION ALL SELECT id, seq, step, at, outcome FROM implied),
per AS (
    SELECT c.id, c.key, c.source, c.deadline, c.reported_at,
        coalesce(bool_or(s.step = 'register'), false) AS registered,
        coalesce(bool_or(s.step = 'reply'), false) AS replied,
        coalesce(bool_or(s.step = 'revisit'), false) AS revisited,
        coalesce(bool_or(s.step = 'supervise'), false) AS supervised,
        coalesce(bool_or(s.step = 'review' AND s.outcome = 'send_back' OR s.step = 'revisit' AND s.outcome = 'not_satisfied'), false) AS reopened,
        count(*) FILTER (WHERE s.step = 'revisit') AS answers,
        count(*) FILTER (WHERE s.step = 'revisit' AND s.outcome IN ('satisfied', 'basically_satisfied')) AS satisfied,
        (array_agg(s.step || ':' || s.outcome ORDER BY s.seq DESC) FILTER (WHERE s.step <> 'supervise'))[1] AS last,
        (array_agg(s.at ORDER BY s.seq DESC) FILTER (WHERE s.step = 'resolve'))[1] AS resolved_at,
        (array_agg(s.at ORDER BY s.seq DESC) FILTER (WHERE s.step = 'close'))[1] AS closed_at,
        EXISTS (SELECT 1 FROM incident_duplicate d WHERE d.duplicate_id = c.id) AS duplicate
    FROM cases c LEFT JOIN steps s ON s.id = c.id
    GROUP BY c.id, c.key, c.source, c.deadline, c.reported_at)
SELECT key, count(*),
    count(*) FILTER (WHERE source = 'grid_worker'), count(*) FILTER (WHERE source = 'hotline'),
    count(*) FILTER (WHERE source = 'visit'), count(*) FILTER (WHERE source = 'other'),
    count(*) FILTER (WHERE registered),
    count(*) FILTER (WHERE last LIKE 'reject:%'),
    count(*) FILTER (WHERE last LIKE 'close:%'),
    count(*) FILTER (WHERE last LIKE 'close:%' AND (deadline IS NULL OR resolved_at <= deadline)),
    count(*) FILTER (WHERE replied), count(*) FILTER (WHERE revisited),
    coalesce(sum(answers), 0)::int, coalesce(sum(satisfied), 0)::int,
    count(*) FILTER (WHERE deadline < $3 AND (last IS NULL OR last IN
        ('register:', 'dispatch:', 'investigate:', 'consult:', 'review:send_back', 'revisit:not_satisfied'))),
    count(*) FILTER (WHERE supervised), count(*) FILTER (WHERE duplicate), count(*) FILTER (WHERE reopened),
    percentile_disc(0.5) WITHIN GROUP (ORDER BY greatest(0, floor(extract(epoch FROM closed_at)) - floor(extract(epoch FROM reported_at))))
        FILTER (WHERE last LIKE 'close:%'),
    percentile_disc(0.9) WITHIN GROUP (ORDER BY greatest(0, floor(extract(epoch FROM closed_at)) - floor(extract(epoch FROM reported_at))))
        FILTER (WHERE last LIKE 'close:%')
FROM per WHERE key IS NOT NULL GROUP BY key ORDER BY key`

// Work sums each worker's work logs in SQL alone: $1 ≤ day < $2.
const Work = `
WITH t AS (
    SELECT w.token_id, w.id, coalesce(sum(tr.metres) FILTER (WHERE cardinality(tr.flags) = 0), 0) AS metres
    FROM worklog w LEFT JOIN worklog_track tr ON tr.worklog_id = w.id
    WHERE w.day >= $1::date AND w.day < $2::date GROUP BY w.token_id, w.id)
SELECT t.token_id::text, count(*), count(*) FILTER (WHERE t.metres > 0), sum(t.metres) / 1000,
    (SELECT count(DISTINCT g) FROM worklog w2 JOIN worklog_track tr ON tr.worklog_id = w2.id, unnest(tr.grids) g
     WHERE w2.token_id = t.token_id AND w2.day >= $1::date AND w2.day < $2::date AND cardinality(tr.flags) = 0)
FROM t GROUP BY t.token_id ORDER BY 1`
