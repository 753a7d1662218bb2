// Package plan is the plan engine: the rules that turn a planner's
// changes (replace, add, split, merge, retire, move) into the map they
// leave, as pure code on the few grids a plan names. It owns the shape
// checks of a change (CheckChange), the references and base versions a
// change needs (ReferencedCodes, Conflicts, Applied.CheckRefs,
// Applied.FillBase), applying changes in order (Applied.Apply: the grids
// touched, created and retired, the people who move with them, duplicate
// codes), reparenting the children of grids merged or split away (each to
// the part holding its PointOnSurface, as PostGIS's ST_PointOnSurface puts
// it), and the summary of a publication (Impact) from the incident moves
// the caller found.
//
// It does no I/O: postgis/ loads the current grids, members and interior
// points inside its transaction, runs the engine, and checks topology, joins
// boundaries (ST_Union) and locates incidents there. The editor's preview
// (static/src/plansteps.js) follows the same rules for the changes it
// makes; the cases in testdata/cases are run by the tests of both.
package plan
