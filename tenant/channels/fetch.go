package channels

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// Limits of a calendar fetch.
const (
	DefaultFetchTimeout = 20 * time.Second
	DefaultMaxFeedBytes = 5 << 20 // 5 MiB: a year of a busy listing is a few hundred KiB
	maxRedirects        = 5
)

// Fetcher downloads imported calendars. It refuses a URL or redirect
// whose address is loopback, private, link-local, unspecified or
// multicast (checked on the address actually dialled, so a name that
// resolves there is refused too), unless AllowPrivate is set: only tests
// set it, deliberately.
type Fetcher struct {
	// Timeout bounds a whole fetch, redirects and body included
	// (DefaultFetchTimeout when 0).
	Timeout time.Duration
	// MaxBytes bounds the body (DefaultMaxFeedBytes when 0).
	MaxBytes int64
	// AllowPrivate lets the fetcher reach private addresses (tests only).
	AllowPrivate bool
	// Transport, when set, replaces the dialling transport (tests).
	Transport http.RoundTripper
}

// FetchResult is the outcome of one poll of a feed.
type FetchResult struct {
	NotModified  bool   // 304: nothing to apply
	Body         []byte // the calendar (200)
	ETag         string // validators of the answer, for the next poll
	LastModified string
	Err          error // the fetch failed: why, in words for the feed page
}

// errPrivate is why a private target is refused.
var errPrivate = errors.New("the address is loopback, private or link-local; Aura does not fetch calendars from there")

// blockedIP reports whether ip is one the fetcher refuses.
func blockedIP(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		// 100.64.0.0/10 (carrier-grade NAT) is not public either.
		ip.To4() != nil && ip.To4()[0] == 100 && ip.To4()[1]&0xC0 == 64
}

func (f *Fetcher) client() *http.Client {
	tr := f.Transport
	if tr == nil {
		d := &net.Dialer{Timeout: 10 * time.Second}
		if !f.AllowPrivate {
			d.Control = func(network, address string, _ syscall.RawConn) error {
				host, _, err := net.SplitHostPort(address)
				if err != nil {
					return err
				}
				if ip := net.ParseIP(host); ip == nil || blockedIP(ip) {
					return errPrivate
				}
				return nil
			}
		}
		tr = &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: 10 * time.Second,
			ResponseHeaderTimeout: 15 * time.Second, MaxIdleConns: 4, IdleConnTimeout: 30 * time.Second, Proxy: nil}
	}
	return &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return errors.New("too many redirects")
		}
		if req.URL.Scheme != "https" && req.URL.Scheme != "http" {
			return fmt.Errorf("a redirect to a %s: address", req.URL.Scheme)
		}
		return nil
	}}
}

// Fetch polls a calendar URL with the validators of the last answer
// (If-None-Match, If-Modified-Since).
func (f *Fetcher) Fetch(ctx context.Context, rawURL, etag, lastModified string) FetchResult {
	timeout, maxBytes := f.Timeout, f.MaxBytes
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxFeedBytes
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return FetchResult{Err: fmt.Errorf("the URL is not valid: %w", err)}
	}
	req.Header.Set("User-Agent", "Aura-Calendar/1")
	req.Header.Set("Accept", "text/calendar, */*;q=0.5")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := f.client().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, errPrivate) {
			return FetchResult{Err: errPrivate}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return FetchResult{Err: fmt.Errorf("no answer within %s", timeout)}
		}
		return FetchResult{Err: fmt.Errorf("the request failed: %v", err)}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return FetchResult{NotModified: true, ETag: or(resp.Header.Get("ETag"), etag), LastModified: or(resp.Header.Get("Last-Modified"), lastModified)}
	case resp.StatusCode != http.StatusOK:
		return FetchResult{Err: fmt.Errorf("the channel answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return FetchResult{Err: fmt.Errorf("no complete answer within %s", timeout)}
		}
		return FetchResult{Err: fmt.Errorf("reading the answer failed: %v", err)}
	}
	if int64(len(body)) > maxBytes {
		return FetchResult{Err: fmt.Errorf("the calendar is larger than %s bytes", strconv.FormatInt(maxBytes, 10))}
	}
	return FetchResult{Body: body, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
