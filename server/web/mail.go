package web

import (
	"bytes"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
)

// MailConfig is how Aura sends email (invitations). With Addr empty, no
// email is sent and the inviter is shown the link to pass on.
type MailConfig struct {
	Addr     string // host:port of the SMTP server (STARTTLS is used when it offers it)
	From     string // the sender address, e.g. "Aura <no-reply@pms.example.com>"
	User     string // SMTP user for PLAIN authentication, if any
	Password string
}

// Enabled reports whether email can be sent.
func (m MailConfig) Enabled() bool { return m.Addr != "" }

// Validate checks the settings; it returns EINVALID naming what is wrong.
func (m MailConfig) Validate() error {
	if !m.Enabled() {
		return nil
	}
	if _, _, err := net.SplitHostPort(m.Addr); err != nil {
		return aura.Errorf(aura.EINVALID, "The SMTP address %q must be host:port.", m.Addr)
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		return aura.Errorf(aura.EINVALID, "The sender address %q is not an email address.", m.From)
	}
	return nil
}

// SendMail sends one plain-text message. net/smtp upgrades to TLS when the
// server offers STARTTLS and refuses PLAIN authentication in the clear
// except to localhost.
func (m MailConfig) SendMail(to, subject, body string) error {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return aura.Errorf(aura.EINVALID, "The sender address %q is not an email address.", m.From)
	}
	clean := func(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: %s\r\n", from.String())
	fmt.Fprintf(&msg, "To: %s\r\n", clean(to))
	fmt.Fprintf(&msg, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", clean(subject)))
	fmt.Fprintf(&msg, "Date: %s\r\n", time.Now().UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&msg, "Message-ID: <%s@aura>\r\n", credential.RandomString(24))
	msg.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	msg.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	var auth smtp.Auth
	if m.User != "" {
		host, _, _ := net.SplitHostPort(m.Addr)
		auth = smtp.PlainAuth("", m.User, m.Password, host)
	}
	if err := smtp.SendMail(m.Addr, auth, from.Address, []string{to}, msg.Bytes()); err != nil {
		return aura.Errorf(aura.EUNAVAILABLE, "The email could not be sent: %v", err)
	}
	return nil
}

// InviteMessage returns the subject and body of an invitation email.
func InviteMessage(tenantName, inviter, link string) (string, string) {
	subject := "You are invited to " + tenantName + " on Aura"
	body := "Hello,\n\n" + inviter + " invited you to work in " + tenantName + " on Aura.\n\n" +
		"Set your password and sign in here (the link works once, for 7 days):\n\n" + link + "\n\n" +
		"If you did not expect this invitation, ignore this email.\n"
	return subject, body
}

// baseURL returns the configured base URL, or the one this request came to.
func (s *Server) baseURL(r *http.Request) string {
	if s.Cfg.BaseURL != "" {
		return s.Cfg.BaseURL
	}
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

// InviteURL returns the absolute invitation link for a token of tenant slug.
func InviteURL(base, slug, token string) string {
	return strings.TrimRight(base, "/") + "/" + slug + "/invite/" + token
}

// DeliverInvite emails an invitation when mail is configured. It returns
// the link for the inviter to pass on when it is not, or when sending
// failed (with a message saying so).
func (s *Server) DeliverInvite(r *http.Request, tenantName, slug, inviter, email, token string) (link, note string) {
	link = InviteURL(s.baseURL(r), slug, token)
	if !s.Cfg.Mail.Enabled() {
		return link, "Email is not configured on this server: copy the link below and send it to " + email + " yourself. It works once, for 7 days."
	}
	subject, body := InviteMessage(tenantName, inviter, link)
	if err := s.Cfg.Mail.SendMail(email, subject, body); err != nil {
		s.Logger(r).Warn("invitation email failed", "err", err)
		return link, "The invitation email could not be sent (" + aura.ErrorMessage(err) + "). Copy the link below and send it to " + email + " yourself."
	}
	return "", "Invitation sent to " + email + "."
}
