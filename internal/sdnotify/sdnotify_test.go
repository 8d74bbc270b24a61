package sdnotify_test

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aurapms/aura/internal/sdnotify"
)

// listen opens a unixgram socket as systemd does and points $NOTIFY_SOCKET
// at it (a short path: socket names are limited to 108 bytes).
func listen(t *testing.T) *net.UnixConn {
	t.Helper()
	dir, err := os.MkdirTemp("", "sd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return conn
}

func TestNotify(t *testing.T) {
	conn := listen(t)
	for _, msg := range []string{sdnotify.Ready + "\nSTATUS=serving", sdnotify.Watchdog, sdnotify.Stopping} {
		sent, err := sdnotify.Notify(msg)
		if err != nil || !sent {
			t.Fatalf("Notify(%q) = %v, %v", msg, sent, err)
		}
		buf := make([]byte, 256)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(buf[:n]); got != msg {
			t.Fatalf("received %q, want %q", got, msg)
		}
	}
}

func TestNotifyOutsideSystemd(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if sent, err := sdnotify.Notify(sdnotify.Ready); sent || err != nil {
		t.Fatalf("Notify without a socket = %v, %v", sent, err)
	}
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone"))
	if sent, err := sdnotify.Notify(sdnotify.Ready); sent || err == nil {
		t.Fatalf("Notify to a missing socket = %v, %v", sent, err)
	}
}

func TestWatchdogInterval(t *testing.T) {
	t.Setenv("WATCHDOG_USEC", "")
	if _, ok := sdnotify.WatchdogInterval(); ok {
		t.Fatal("a watchdog without WATCHDOG_USEC")
	}
	t.Setenv("WATCHDOG_USEC", "30000000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	if d, ok := sdnotify.WatchdogInterval(); !ok || d != 30*time.Second {
		t.Fatalf("interval = %v, %v", d, ok)
	}
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()+1))
	if _, ok := sdnotify.WatchdogInterval(); ok {
		t.Fatal("a watchdog meant for another process")
	}
}
