// Package deploy holds the files Aura ships for running it on a server:
// the systemd unit that `aura install-service` writes.
package deploy

import _ "embed"

// Unit is the systemd unit as a text/template: see `aura install-service`
// for the fields.
//
//go:embed aura.service
var Unit string
