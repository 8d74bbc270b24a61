// Package control holds the operations that span the platform index and
// tenant files: creating, suspending and deleting a tenant, signing and
// verifying audit checkpoints. Both the command line and the /platform web
// area call these, so each operation exists once. It is the only package,
// besides cmd/aura, that imports both platform and tenant.
package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/schema"
	"github.com/aurapms/aura/tenant"
)

// Directory resolves tenant slugs through the platform registry for the
// tenant router, unwrapping each tenant's data key.
type Directory struct {
	Platform *platform.DB
}

// TenantInfo implements tenant.Directory.
func (d Directory) TenantInfo(ctx context.Context, slug string) (tenant.Info, error) {
	t, err := d.Platform.TenantBySlug(ctx, slug)
	if err != nil {
		return tenant.Info{}, err
	}
	info := tenant.Info{ID: t.ID, Slug: t.Slug, Status: t.Status}
	if t.Maintenance != "" {
		info.Status = tenant.StatusMaintenance
		return info, nil
	}
	if t.Status == platform.StatusActive {
		if info.DataKey, err = d.Platform.DataKey(t); err != nil {
			return tenant.Info{}, err
		}
	}
	return info, nil
}

// Service performs cross-cutting tenant operations.
type Service struct {
	Platform *platform.DB
	Router   *tenant.Router
	Signer   *keys.SigningKey
	// Replicator, when set, is the replication that restores read from.
	Replicator *replica.Replicator
	// TenantsDir is the directory of tenant files (<data>/tenants).
	TenantsDir string
	Logger     *slog.Logger
	// Witnesses keep the newest checkpoint of every chain outside the
	// data directory (the replica store, an append-only file). Set before
	// use; SetWitnesses replaces them while the service runs.
	Witnesses []audit.Witness
	witnessMu sync.RWMutex

	signing signing
}

// TenantPath returns the path of a tenant's file.
func (s *Service) TenantPath(id string) string {
	return filepath.Join(s.TenantsDir, tenant.FileName(id))
}

// CreateTenant creates a tenant: it validates the slug and name, creates and
// migrates its file (whose audit chain starts with "tenant.created"),
// registers it with a fresh wrapped data key, and signs the first
// checkpoint. It returns EINVALID or ECONFLICT for a bad or taken slug.
func (s *Service) CreateTenant(ctx context.Context, slug, name string) (platform.Tenant, error) {
	if err := s.Platform.ValidateNewTenant(ctx, slug, name); err != nil {
		return platform.Tenant{}, err
	}
	id := aura.NewID("tnt")
	path := s.TenantPath(id)
	// The file comes first: a crash between the two steps leaves an
	// unregistered file (harmless), never a registered tenant without a file.
	if err := tenant.Create(ctx, path, id, slug, name, nowUTC()); err != nil {
		return platform.Tenant{}, err
	}
	t, err := s.Platform.CreateTenant(ctx, id, slug, name, keys.NewKey(), schema.Latest(schema.Tenant))
	if err != nil {
		removeTenantFiles(path)
		return platform.Tenant{}, err
	}
	if err := s.Checkpoint(ctx, slug); err != nil {
		return t, fmt.Errorf("tenant %s created, but its first checkpoint failed: %w", slug, err)
	}
	return t, nil
}

// SetStatus suspends or resumes a tenant; a suspended tenant's file is closed
// once its in-flight requests finish.
func (s *Service) SetStatus(ctx context.Context, slug, status string) (platform.Tenant, error) {
	if status == platform.StatusSuspended {
		// Sign the head before the file closes, so the last writes are
		// covered. A broken chain is not signed, but does not stop the
		// suspension.
		if err := s.Checkpoint(ctx, slug); err != nil && aura.ErrorCode(err) != aura.EUNAVAILABLE && !IsBroken(err) {
			return platform.Tenant{}, err
		}
	}
	t, err := s.Platform.SetStatus(ctx, slug, status)
	if err != nil {
		return t, err
	}
	if s.Router != nil {
		s.Router.Forget(slug)
	}
	return t, nil
}

// DeleteTenant destroys a tenant's data key and removes its file.
func (s *Service) DeleteTenant(ctx context.Context, slug string) (platform.Tenant, error) {
	t, err := s.Platform.DeleteTenant(ctx, slug)
	if err != nil {
		return t, err
	}
	if s.Router != nil {
		// Let requests in flight finish before the file goes; after a
		// minute remove it anyway (its key is already destroyed).
		select {
		case <-s.Router.Forget(slug):
		case <-time.After(time.Minute):
		}
	}
	if err := removeTenantFiles(s.TenantPath(t.ID)); err != nil {
		return t, fmt.Errorf("tenant %s deleted and its key destroyed, but removing its file failed: %w", slug, err)
	}
	return t, nil
}

// removeTenantFiles removes a tenant's file, its WAL and shared memory, and
// Litestream's staging directory beside it (which holds plaintext pages).
func removeTenantFiles(path string) error {
	var errs []error
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(replica.StagingDir(path)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ForEachActiveTenant runs fn on every active tenant in turn, through the
// router, so background jobs see tenants exactly as requests do. A failing
// tenant is logged and skipped; the others still run. It stops early only
// when ctx is cancelled.
func (s *Service) ForEachActiveTenant(ctx context.Context, job string, fn func(ctx context.Context, db *tenant.DB) error) error {
	ts, err := s.Platform.Tenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.Status != platform.StatusActive {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		jctx := aura.WithActor(ctx, aura.SystemActor(job))
		db, err := s.Router.Acquire(jctx, t.Slug)
		if err != nil {
			s.logger().Warn("background job could not open tenant", "job", job, "tenant", t.Slug, "err", err)
			continue
		}
		err = fn(jctx, db)
		db.Release()
		if err != nil {
			s.logger().Warn("background job failed", "job", job, "tenant", t.Slug, "err", err)
		}
	}
	return nil
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
