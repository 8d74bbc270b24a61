//go:build unix

package main

import "syscall"

// restrictUmask makes every file and directory Aura creates private to its
// user (0600 and 0700), whatever mode the code or a library (SQLite,
// Litestream) asks for: the data directory holds tenant files, WALs and
// Litestream's plaintext staging.
func restrictUmask() { syscall.Umask(0o077) }
