//go:build tools

// The official reader (`baton`), built from the same baton-sdk version as the harness, so one
// `go build` in this module gives the interop tests both.
package main

import _ "github.com/conductorone/baton-sdk/cmd/baton"
