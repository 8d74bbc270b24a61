package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// Witness keeps the newest signed checkpoint of every chain somewhere a
// file-level attacker of the data directory cannot reach at the same time:
// the replica store (beside the encrypted replicas) or an append-only file
// on another disk. Checkpoints are signed and carry no personal data, so a
// witness needs no encryption; what it adds is a copy that deleting rows
// from the platform DB cannot reach.
type Witness interface {
	// Name says where the witness is, for messages ("the witness file
	// /mnt/audit/aura.witness").
	Name() string
	// Put records cp as the chain's newest checkpoint.
	Put(ctx context.Context, cp Checkpoint) error
	// Newest returns the chain's newest checkpoint the witness holds, or
	// nil when it holds none.
	Newest(ctx context.Context, chain string) (*Checkpoint, error)
}

// FileWitness is an append-only file of checkpoints, one JSON object a line
// (give it its own disk or mount, and `chattr +a` it). Put appends and syncs;
// Newest is the entry with the highest N for the chain (a replayed older
// line cannot roll it back). The file is read once per process and then
// followed in memory. It grows by about 600 bytes per checkpoint; to rotate
// it, move it aside: Aura starts a new file and re-records each chain's
// newest checkpoint the next time it signs.
type FileWitness struct {
	path string

	mu     sync.Mutex
	loaded bool
	newest map[string]Checkpoint
}

// NewFileWitness returns the witness kept in the file at path, which is
// created (mode 0600) on the first Put.
func NewFileWitness(path string) *FileWitness { return &FileWitness{path: path} }

// Name implements Witness.
func (w *FileWitness) Name() string { return "the witness file " + w.path }

// Put implements Witness: it appends cp as one line and syncs the file.
func (w *FileWitness) Put(ctx context.Context, cp Checkpoint) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.load(); err != nil {
		return err
	}
	line, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit witness: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("audit witness %s: %w", w.path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("audit witness %s: %w", w.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("audit witness %s: %w", w.path, err)
	}
	if old, ok := w.newest[cp.Chain]; !ok || cp.N >= old.N {
		w.newest[cp.Chain] = cp
	}
	return nil
}

// Newest implements Witness.
func (w *FileWitness) Newest(ctx context.Context, chain string) (*Checkpoint, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.load(); err != nil {
		return nil, err
	}
	cp, ok := w.newest[chain]
	if !ok {
		return nil, nil
	}
	return &cp, nil
}

// load reads the file once. A line that is not a checkpoint (a torn last
// line after a crash, say) is skipped: entries are signed, so only what
// verifies counts when compared.
func (w *FileWitness) load() error {
	if w.loaded {
		return nil
	}
	w.newest = map[string]Checkpoint{}
	f, err := os.Open(w.path)
	if errors.Is(err, os.ErrNotExist) {
		w.loaded = true
		return nil
	} else if err != nil {
		return fmt.Errorf("audit witness: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			var cp Checkpoint
			if json.Unmarshal(line, &cp) == nil && cp.Chain != "" {
				if old, ok := w.newest[cp.Chain]; !ok || cp.N >= old.N {
					w.newest[cp.Chain] = cp
				}
			}
		}
		if err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("audit witness %s: %w", w.path, err)
		}
	}
	w.loaded = true
	return nil
}
