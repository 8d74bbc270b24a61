package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/tenant/identity"
)

func sessionPolicy(idle, max time.Duration) identity.SessionPolicy {
	return identity.SessionPolicy{Idle: idle, Absolute: max}
}

// hasher returns the password hasher with the server's pepper.
func (e *env) hasher(ctx context.Context) (credential.Hasher, error) {
	pepper, err := e.platform.Secret(ctx, platform.SecretPasswordPepper)
	if err != nil {
		return credential.Hasher{}, err
	}
	return credential.NewHasher(pepper)
}

// readPassword reads one line from standard input (for --…-password-stdin),
// so a password never appears in the process list or shell history.
func readPassword(in io.Reader) (string, error) {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", aura.Errorf(aura.EINVALID, "No password on standard input.")
	}
	return line, nil
}

// cliActor is the actor of changes made from the command line.
func cliActor(ctx context.Context, what string) context.Context {
	return aura.WithActor(ctx, aura.SystemActor("cli:"+what))
}

// defaultBaseURL is the base of links printed by commands that run beside
// the server (invitation links).
func defaultBaseURL(flag string) string {
	if flag != "" {
		return strings.TrimRight(flag, "/")
	}
	return "http://127.0.0.1:8080"
}
