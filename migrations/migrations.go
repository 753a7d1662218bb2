// Package migrations holds the SQL schema as goose migration files, embedded
// so the binary migrates a database without finding files on disk.
package migrations

import "embed"

// FS holds the numbered goose migration files.
//
//go:embed *.sql
var FS embed.FS
