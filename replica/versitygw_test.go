package replica_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura/replica"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// versityStore is versitygw, a real S3 gateway (github.com/versity/versitygw,
// built by scripts/test-deps), serving a directory of the test through its
// posix backend on 127.0.0.1.
type versityStore struct {
	root, url string
}

const (
	versityAccess = "aura-test-access"
	versitySecret = "aura-test-secret-0123456789"
)

// startVersity starts versitygw for the test and creates the bucket
// through the S3 API. A missing binary fails the test (make test-deps).
func startVersity(tb testing.TB) *versityStore {
	tb.Helper()
	tb.Setenv("AWS_CA_BUNDLE", "") // as startS3: plain HTTP on loopback
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		gobin := filepath.Join(os.Getenv("HOME"), "go", "bin", "versitygw")
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gobin = filepath.Join(string(out[:len(out)-1]), "bin", "versitygw")
		}
		if _, err := os.Stat(gobin); err != nil {
			tb.Fatal("versitygw is not installed: run make test-deps (scripts/test-deps builds it from the Go module proxy)")
		}
		bin = gobin
	}
	root := tb.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--access", versityAccess, "--secret", versitySecret, "--region", "eu-central", "--port", addr, "posix", root)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID=", "ROOT_SECRET_ACCESS_KEY=")
	out := &syncLog{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	st := &versityStore{root: root, url: "http://" + addr}
	client := s3.New(s3.Options{Region: "eu-central", BaseEndpoint: aws.String(st.url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(versityAccess, versitySecret, "")})
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(testBucket)})
		cancel()
		// Under load the first request can time out here after the
		// gateway made the bucket: a retry is then told it owns it.
		if err == nil || strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
			break
		}
		select {
		case <-done:
			tb.Fatalf("versitygw exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("versitygw did not take a bucket: %v\n%s", err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	versityStores.Store(st.url, st)
	tb.Cleanup(func() { versityStores.Delete(st.url) })
	return st
}

func (s *versityStore) destination() replica.Destination {
	return replica.Destination{
		Type: replica.TypeS3, Bucket: testBucket, Path: "aura", Endpoint: s.url, Region: "eu-central",
		ForcePathStyle: true, AccessKeyID: versityAccess, SecretAccessKey: versitySecret,
	}
}

// objects returns every object the gateway stores, by key: the posix
// backend keeps each one as a file under root/bucket.
func (s *versityStore) objects(tb testing.TB) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	base := filepath.Join(s.root, testBucket)
	for p, b := range files(tb, base) {
		rel, err := filepath.Rel(base, p)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.ToSlash(rel)] = b
	}
	return out
}

// TestVersitygw checks the gateway is the real thing the tests think it
// is: objects written through the S3 API land as files in its directory.
func TestVersitygw(t *testing.T) {
	st := startVersity(t)
	ctx := context.Background()
	r := mustReplicator(t, fastConfig(st.destination()))
	path := filepath.Join(t.TempDir(), "tenant.db")
	db := mustOpenDB(t, path)
	key := newKey()
	if err := r.Register(ctx, path, "tenants/v", key); err != nil {
		t.Fatal(err)
	}
	insertGuests(t, db, "v", 20, 100)
	if err := r.Sync(ctx, path); err != nil {
		t.Fatal(err)
	}
	objs := st.objects(t)
	if len(objs) == 0 {
		t.Fatal("nothing stored in versitygw's directory")
	}
	for k := range objs {
		if !strings.HasPrefix(k, "aura/tenants/v/") {
			t.Fatalf("unexpected object %q", k)
		}
	}
}

// syncLog collects a child's output for the failure message.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

var versityStores sync.Map // endpoint URL → *versityStore
