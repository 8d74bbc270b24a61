package replica_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/replica"
)

// The audit witness lives beside the replicas, in file and S3 destinations
// alike: the newest checkpoint of a chain, readable back as written.
func TestWitness(t *testing.T) {
	ctx := context.Background()
	s3 := startS3(t)
	dests := map[string]replica.Destination{
		"File": {Type: replica.TypeFile, Path: filepath.Join(t.TempDir(), "replica")},
		"S3":   s3.destination(),
	}
	for name, dest := range dests {
		t.Run(name, func(t *testing.T) {
			w := replica.NewWitness(dest)
			if got, err := w.Newest(ctx, "tnt_a"); err != nil || got != nil {
				t.Fatalf("empty witness: %+v %v", got, err)
			}
			for n := int64(1); n <= 2; n++ {
				cp := audit.Checkpoint{Chain: "tnt_a", N: n, Kind: audit.KindHead, Epoch: 1, Seq: 10 * n, Hash: []byte{byte(n)}, SignedAt: "2026-12-06T00:00:00Z", KeyID: "k", Signature: []byte("sig")}
				if err := w.Put(ctx, cp); err != nil {
					t.Fatal(err)
				}
			}
			got, err := w.Newest(ctx, "tnt_a")
			if err != nil || got == nil || got.N != 2 || got.Seq != 20 {
				t.Fatalf("newest = %+v %v", got, err)
			}
			if other, _ := w.Newest(ctx, "tnt_b"); other != nil {
				t.Fatalf("another chain's witness: %+v", other)
			}
		})
	}
	// On S3 the object sits beside the replicas, under the destination's path.
	obj, ok := s3.objects(t)["aura/"+replica.WitnessPrefix+"/tnt_a.json"]
	if !ok {
		t.Fatalf("no witness object in the bucket: %v", s3.objects(t))
	}
	var cp audit.Checkpoint
	if err := json.Unmarshal(obj, &cp); err != nil || cp.N != 2 {
		t.Fatalf("object = %s %v", obj, err)
	}
}
