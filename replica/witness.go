package replica

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aurapms/aura/audit"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// WitnessPrefix is the folder of the replica destination that holds the
// audit witness objects: beside the replicas (tenants/…, platform/…), never
// inside one, so Litestream's retention never deletes them.
const WitnessPrefix = "audit-witness"

// Witness is the audit witness kept in a replica destination: one object per
// chain, WitnessPrefix/<chain>.json, holding the chain's newest signed
// checkpoint. It implements audit.Witness. The object is not encrypted: a
// checkpoint is signed and holds only seqs, hashes and times. For S3, turn
// on the bucket's object versioning (or object lock) so that whoever holds
// the S3 credentials cannot quietly roll the object back either.
type Witness struct {
	dest Destination

	mu     sync.Mutex
	client *s3.Client
}

// s3Timeout bounds one witness request to S3.
const s3Timeout = 30 * time.Second

// NewWitness returns the witness of a destination.
func NewWitness(dest Destination) *Witness { return &Witness{dest: dest} }

// Name implements audit.Witness.
func (w *Witness) Name() string {
	switch w.dest.Type {
	case TypeFile:
		return "the witness in the replica store " + filepath.Join(w.dest.Path, WitnessPrefix)
	case TypeS3:
		return "the witness in the replica store s3://" + path.Join(w.dest.Bucket, w.dest.Path, WitnessPrefix)
	}
	return "the witness in the replica store"
}

func (w *Witness) key(chain string) string { return path.Join(WitnessPrefix, chain+".json") }

// Put implements audit.Witness: it replaces the chain's object with cp (a
// file destination writes a temporary file, syncs it and renames it over
// the old one, so a crash leaves the old or the new object, never half).
func (w *Witness) Put(ctx context.Context, cp audit.Checkpoint) error {
	body, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	switch w.dest.Type {
	case TypeFile:
		p := filepath.Join(w.dest.Path, filepath.FromSlash(w.key(cp.Chain)))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Errorf("audit witness: %w", err)
		}
		return writeFileAtomic(p, body)
	case TypeS3:
		c, err := w.s3(ctx)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, s3Timeout)
		defer cancel()
		_, err = c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(w.dest.Bucket), Key: aws.String(path.Join(w.dest.Path, w.key(cp.Chain))),
			Body: bytes.NewReader(body), ContentType: aws.String("application/json"),
		})
		if err != nil {
			return fmt.Errorf("audit witness: write %s: %w", w.key(cp.Chain), err)
		}
		return nil
	}
	return fmt.Errorf("audit witness: replica type %q is not supported", w.dest.Type)
}

// Newest implements audit.Witness.
func (w *Witness) Newest(ctx context.Context, chain string) (*audit.Checkpoint, error) {
	var body []byte
	switch w.dest.Type {
	case TypeFile:
		b, err := os.ReadFile(filepath.Join(w.dest.Path, filepath.FromSlash(w.key(chain))))
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		} else if err != nil {
			return nil, fmt.Errorf("audit witness: %w", err)
		}
		body = b
	case TypeS3:
		c, err := w.s3(ctx)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(ctx, s3Timeout)
		defer cancel()
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(w.dest.Bucket), Key: aws.String(path.Join(w.dest.Path, w.key(chain)))})
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil, nil
		} else if err != nil {
			return nil, fmt.Errorf("audit witness: read %s: %w", w.key(chain), err)
		}
		defer out.Body.Close()
		if body, err = io.ReadAll(io.LimitReader(out.Body, 1<<20)); err != nil {
			return nil, fmt.Errorf("audit witness: read %s: %w", w.key(chain), err)
		}
	default:
		return nil, fmt.Errorf("audit witness: replica type %q is not supported", w.dest.Type)
	}
	var cp audit.Checkpoint
	if err := json.Unmarshal(body, &cp); err != nil {
		return nil, fmt.Errorf("audit witness: %s is not a checkpoint: %w", w.key(chain), err)
	}
	return &cp, nil
}

// s3 returns the S3 client of the destination, configured as Litestream's
// own client is (static credentials, custom endpoint, path style, checksums
// only when required, which S3-compatible stores need).
func (w *Witness) s3(ctx context.Context) (*s3.Client, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.client != nil {
		return w.client, nil
	}
	d := w.dest
	region := d.Region
	if region == "" {
		region = "us-east-1"
	}
	// The SDK's own HTTP client, unlike a plain *http.Client, takes a
	// custom CA bundle (AWS_CA_BUNDLE); each call carries a timeout.
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if d.AccessKeyID != "" && d.SecretAccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(d.AccessKeyID, d.SecretAccessKey, "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("audit witness: s3 config: %w", err)
	}
	w.client = s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = d.ForcePathStyle
		if d.Endpoint != "" {
			ep := d.Endpoint
			if !strings.HasPrefix(ep, "http://") && !strings.HasPrefix(ep, "https://") {
				ep = "https://" + ep
			}
			o.BaseEndpoint = aws.String(ep)
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
	return w.client, nil
}

// writeFileAtomic writes data to a temporary file beside p, syncs it, renames
// it over p and syncs the directory.
func writeFileAtomic(p string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*")
	if err != nil {
		return fmt.Errorf("audit witness: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("audit witness: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("audit witness: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("audit witness: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("audit witness: %w", err)
	}
	if d, err := os.Open(filepath.Dir(p)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
