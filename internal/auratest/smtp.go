package auratest

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// SMTPServer is an SMTP server in the test's process speaking the real
// protocol over a loopback listener (github.com/emersion/go-smtp): what
// Aura sends through it arrives as bytes on the wire, is parsed here as a
// mail program would, and can be refused on demand.
type SMTPServer struct {
	Addr string

	srv    *smtp.Server
	mu     sync.Mutex
	mails  []ReceivedMail
	refuse int
}

// ReceivedMail is one message the server accepted.
type ReceivedMail struct {
	From    string
	To      []string
	Raw     []byte
	Subject string // decoded
	Text    string // the text/plain part, decoded
	HTML    string // the text/html part, decoded
}

// NewSMTPServer starts an SMTP server on a free loopback port, stopped at
// the end of the test.
func NewSMTPServer(tb testing.TB) *SMTPServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return StartSMTPServer(tb, ln)
}

// StartSMTPServer serves SMTP on ln (e.g. one opened on an address that
// refused connections before), stopped at the end of the test.
func StartSMTPServer(tb testing.TB, ln net.Listener) *SMTPServer {
	tb.Helper()
	s := &SMTPServer{Addr: ln.Addr().String()}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.MaxMessageBytes = 10 << 20
	go s.srv.Serve(ln)
	tb.Cleanup(func() { s.srv.Close() })
	return s
}

// RefuseNext makes the server answer the next n messages' MAIL FROM with
// 451 (a temporary failure, as a greylisting or overloaded server does).
func (s *SMTPServer) RefuseNext(n int) {
	s.mu.Lock()
	s.refuse = n
	s.mu.Unlock()
}

// Mails returns the messages accepted so far.
func (s *SMTPServer) Mails() []ReceivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ReceivedMail(nil), s.mails...)
}

type smtpSession struct {
	s    *SMTPServer
	from string
	to   []string
}

func (x *smtpSession) Reset()        { x.from, x.to = "", nil }
func (x *smtpSession) Logout() error { return nil }

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.refuse > 0 {
		x.s.refuse--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	x.from = from
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := ReceivedMail{From: x.from, To: x.to, Raw: raw}
	if err := parseMail(&m); err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unparsable message: " + err.Error()}
	}
	x.s.mu.Lock()
	x.s.mails = append(x.s.mails, m)
	x.s.mu.Unlock()
	return nil
}

// parseMail decodes the subject and the text and HTML parts.
func parseMail(m *ReceivedMail) error {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return err
	}
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return err
	}
	ct, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	if !strings.HasPrefix(ct, "multipart/") {
		b, err := readPart(msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		m.Text = b
		return err
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable itself
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return err
		}
		text := strings.ReplaceAll(string(b), "\r\n", "\n")
		pct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch pct {
		case "text/plain":
			m.Text = text
		case "text/html":
			m.HTML = text
		}
	}
}

func readPart(cte string, r io.Reader) (string, error) {
	if strings.EqualFold(cte, "quoted-printable") {
		r = quotedPrintable(r)
	}
	b, err := io.ReadAll(r)
	return strings.ReplaceAll(string(b), "\r\n", "\n"), err
}

func quotedPrintable(r io.Reader) io.Reader { return quotedprintable.NewReader(r) }
