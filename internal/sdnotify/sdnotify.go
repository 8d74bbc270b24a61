// Package sdnotify speaks systemd's service notification protocol
// (sd_notify(3)) with the standard library: a service of Type=notify sends
// READY=1 when it serves, STOPPING=1 when it begins to stop and WATCHDOG=1
// at least every WatchdogSec, each as one datagram to the unix socket named
// by $NOTIFY_SOCKET. Outside systemd (no $NOTIFY_SOCKET) every call is a
// no-op.
package sdnotify

import (
	"net"
	"os"
	"strconv"
	"time"
)

// Messages a service sends. A message may join several with newlines.
const (
	Ready     = "READY=1"
	Stopping  = "STOPPING=1"
	Reloading = "RELOADING=1"
	Watchdog  = "WATCHDOG=1"
)

// Notify sends state to the socket named by $NOTIFY_SOCKET and reports
// whether it was sent: false with a nil error when the variable is unset
// (not started by systemd). A name starting with @ is an abstract socket.
func Notify(state string) (bool, error) {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return false, nil
	}
	if name[0] == '@' {
		name = "\x00" + name[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, err
	}
	return true, nil
}

// WatchdogInterval returns how often systemd expects WATCHDOG=1 (from
// $WATCHDOG_USEC, when $WATCHDOG_PID is unset or names this process), or
// false when no watchdog is set for this process. Send pings at half the
// interval, as sd_watchdog_enabled(3) advises.
func WatchdogInterval() (time.Duration, bool) {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0, false
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0, false
	}
	return time.Duration(usec) * time.Microsecond, true
}
