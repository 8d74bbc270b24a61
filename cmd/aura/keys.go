package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/aurapms/aura/keys"
)

func cmdKeys(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.io.Err, "Usage: aura keys generate FILE | aura keys rotate-master --new-key-file FILE")
		return errUsage
	}
	switch args[0] {
	case "generate":
		return keysGenerate(e, args[1:])
	case "rotate-master":
		return keysRotate(ctx, e, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(e.io.Out, "Usage: aura keys generate FILE | aura keys rotate-master --new-key-file FILE")
		return nil
	}
	fmt.Fprintf(e.io.Err, "aura keys: unknown subcommand %q\n", args[0])
	return errUsage
}

// keysGenerate writes a new master key to FILE (mode 0600) and, when absent,
// the audit signing key beside it.
func keysGenerate(e *env, args []string) error {
	fl := e.flagSet("keys generate FILE", "keys generate FILE")
	pos, err := e.parse(fl, args, 1)
	if err != nil {
		return err
	}
	path := pos[0]
	if keys.Inside(path, e.dataDir) {
		return fmt.Errorf("refusing to write the master key inside the data directory %s; keep keys elsewhere", e.dataDir)
	}
	if err := keys.GenerateMasterKeyFile(path); err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "Wrote a new master key to %s (mode 0600).\n", path)
	sign := e.signingKeyFile
	if sign == "" {
		sign = keys.DefaultSigningKeyPath(path)
	}
	if _, err := os.Stat(sign); errors.Is(err, fs.ErrNotExist) {
		if err := keys.GenerateSigningKeyFile(sign); err != nil {
			return err
		}
		fmt.Fprintf(e.io.Out, "Wrote a new audit signing key to %s (mode 0600).\n", sign)
	}
	fmt.Fprintln(e.io.Out, "Keep both files outside the data directory and back them up separately: without the master key, no tenant data can be read.")
	return nil
}

// keysRotate re-wraps every tenant data key under a new master key, creating
// the new key file when it does not exist yet.
func keysRotate(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("keys rotate-master", "keys rotate-master --new-key-file FILE")
	newFile := fl.String("new-key-file", "", "the new master key file (created when missing)")
	if _, err := e.parse(fl, args, 0); err != nil {
		return err
	}
	if *newFile == "" {
		fl.Usage()
		return errUsage
	}
	if err := e.open(ctx, false); err != nil {
		return err
	}
	if _, err := os.Stat(*newFile); errors.Is(err, fs.ErrNotExist) {
		if err := keys.GenerateMasterKeyFile(*newFile); err != nil {
			return err
		}
		fmt.Fprintf(e.io.Out, "Wrote a new master key to %s (mode 0600).\n", *newFile)
	}
	next, err := keys.LoadMasterKey(*newFile, e.dataDir)
	if err != nil {
		return err
	}
	n, err := e.platform.RotateMaster(ctx, next)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "Re-wrapped %d tenant keys under master key %s. From now on start Aura with --master-key-file %s; the old key no longer opens this data directory.\n", n, next.ID(), *newFile)
	if sign := keys.DefaultSigningKeyPath(*newFile); e.signingKeyFile == "" && sign != keys.DefaultSigningKeyPath(e.masterKeyFile) {
		fmt.Fprintf(e.io.Out, "Copy the audit signing key %s to %s (or pass --signing-key-file).\n", keys.DefaultSigningKeyPath(e.masterKeyFile), sign)
	}
	return nil
}
