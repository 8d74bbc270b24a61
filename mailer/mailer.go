// Package mailer sends email over SMTP: one message with a plain-text and
// an HTML part (multipart/alternative), through the SMTP settings of `aura
// serve` (--smtp-addr, --smtp-from, --smtp-user). net/smtp upgrades to TLS
// when the server offers STARTTLS and refuses PLAIN authentication in the
// clear except to localhost. Errors are aura.Error values.
package mailer

import (
	"bytes"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
)

// SMTP is an SMTP server to send through. With Addr empty nothing can be
// sent (Enabled is false).
type SMTP struct {
	Addr     string // host:port
	From     string // the sender, e.g. "Aura <no-reply@pms.example.com>"
	User     string // for PLAIN authentication, if any
	Password string
}

// Enabled reports whether email can be sent.
func (s SMTP) Enabled() bool { return s.Addr != "" }

// Message is one email: a plain-text body and, optionally, an HTML one
// (the same content, for mail programs that show HTML). ReplyTo, when
// set, is where answers go.
type Message struct {
	To      string
	ReplyTo string
	Subject string
	Text    string
	HTML    string
}

// oneLine keeps header values on one line.
func oneLine(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }

// Compose returns the message as it goes over the wire (CRLF line ends),
// with from as its sender.
func Compose(from *mail.Address, m Message) ([]byte, error) {
	to, err := mail.ParseAddress(oneLine(m.To))
	if err != nil {
		return nil, aura.Errorf(aura.EINVALID, "The recipient %q is not an email address.", m.To)
	}
	var msg bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&msg, "%s: %s\r\n", k, v) }
	h("From", from.String())
	h("To", to.String())
	if m.ReplyTo != "" {
		if rt, err := mail.ParseAddress(oneLine(m.ReplyTo)); err == nil {
			h("Reply-To", rt.String())
		}
	}
	h("Subject", mime.QEncoding.Encode("utf-8", oneLine(m.Subject)))
	h("Date", time.Now().UTC().Format(time.RFC1123Z))
	h("Message-ID", "<"+credential.RandomString(24)+"@aura>")
	h("MIME-Version", "1.0")
	part := func(w *bytes.Buffer, body string) error {
		q := quotedprintable.NewWriter(w)
		if _, err := q.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))); err != nil {
			return err
		}
		return q.Close()
	}
	if m.HTML == "" {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "quoted-printable")
		msg.WriteString("\r\n")
		if err := part(&msg, m.Text); err != nil {
			return nil, err
		}
		return msg.Bytes(), nil
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	msg.WriteString("\r\n")
	for _, p := range []struct{ ct, body string }{{"text/plain; charset=utf-8", m.Text}, {"text/html; charset=utf-8", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {p.ct}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := part(&b, p.body); err != nil {
			return nil, err
		}
		if _, err := w.Write(b.Bytes()); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}

// Send delivers one message. It returns EINVALID for a bad sender or
// recipient address, ENOTIMPLEMENTED when no SMTP server is set, and
// EUNAVAILABLE when the server could not be reached or refused the
// message (the caller may retry).
func (s SMTP) Send(m Message) error {
	if !s.Enabled() {
		return aura.Errorf(aura.ENOTIMPLEMENTED, "Email is not configured on this server (aura serve --smtp-addr).")
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return aura.Errorf(aura.EINVALID, "The sender address %q is not an email address.", s.From)
	}
	msg, err := Compose(from, m)
	if err != nil {
		return err
	}
	to, _ := mail.ParseAddress(oneLine(m.To))
	var auth smtp.Auth
	if s.User != "" {
		host, _, _ := net.SplitHostPort(s.Addr)
		auth = smtp.PlainAuth("", s.User, s.Password, host)
	}
	if err := smtp.SendMail(s.Addr, auth, from.Address, []string{to.Address}, msg); err != nil {
		return aura.Errorf(aura.EUNAVAILABLE, "The email could not be sent: %v", err)
	}
	return nil
}
