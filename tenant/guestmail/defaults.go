package guestmail

// The built-in wording, used until a property writes its own.

type wording struct{ subject, text, html string }

var builtins = map[string]map[string]wording{
	"en": {
		KindConfirmation: {
			subject: "Your booking at {{.Property.Name}}: {{.Stay.Dates}}",
			text: `Dear {{.Guest.Name}},

thank you for your booking at {{.Property.Name}}.

Arrival: {{.Stay.Arrival}}, check-in from {{.Property.CheckInTime}}
Departure: {{.Stay.Departure}}, check-out by {{.Property.CheckOutTime}}
Room: {{.Stay.RoomType}} for {{.Stay.Adults}} adult(s){{if .Stay.Children}} and {{.Stay.Children}} child(ren){{end}}
{{with .Stay.Guest}}Guest: {{.}}
{{end}}Total: {{.Stay.Total}}
Reference: {{.Stay.Reference}}

We look forward to welcoming you.

{{.Property.Name}}
{{.Property.Address}}
`,
			html: `<p>Dear {{.Guest.Name}},</p>
<p>thank you for your booking at {{.Property.Name}}.</p>
<table>
<tr><th align="left">Arrival</th><td>{{.Stay.Arrival}}, check-in from {{.Property.CheckInTime}}</td></tr>
<tr><th align="left">Departure</th><td>{{.Stay.Departure}}, check-out by {{.Property.CheckOutTime}}</td></tr>
<tr><th align="left">Room</th><td>{{.Stay.RoomType}} for {{.Stay.Adults}} adult(s){{if .Stay.Children}} and {{.Stay.Children}} child(ren){{end}}</td></tr>
{{with .Stay.Guest}}<tr><th align="left">Guest</th><td>{{.}}</td></tr>
{{end}}<tr><th align="left">Total</th><td>{{.Stay.Total}}</td></tr>
<tr><th align="left">Reference</th><td>{{.Stay.Reference}}</td></tr>
</table>
<p>We look forward to welcoming you.</p>
<p>{{.Property.Name}}<br>{{.Property.Address}}</p>
`,
		},
		KindPreArrival: {
			subject: "See you soon at {{.Property.Name}}",
			text: `Dear {{.Guest.Name}},

your stay at {{.Property.Name}} begins on {{.Stay.Arrival}}. Check-in is from {{.Property.CheckInTime}}; please let us know if you arrive late.

Our address: {{.Property.Address}}
Reference: {{.Stay.Reference}}

{{.Property.Name}}
`,
			html: `<p>Dear {{.Guest.Name}},</p>
<p>your stay at {{.Property.Name}} begins on {{.Stay.Arrival}}. Check-in is from {{.Property.CheckInTime}}; please let us know if you arrive late.</p>
<p>Our address: {{.Property.Address}}<br>Reference: {{.Stay.Reference}}</p>
<p>{{.Property.Name}}</p>
`,
		},
		KindCancellation: {
			subject: "Your booking at {{.Property.Name}} is cancelled",
			text: `Dear {{.Guest.Name}},

your booking at {{.Property.Name}} for {{.Stay.Dates}}{{with .Stay.Guest}} ({{.}}){{end}}, reference {{.Stay.Reference}}, is cancelled.

We hope to welcome you another time.

{{.Property.Name}}
{{.Property.Address}}
`,
			html: `<p>Dear {{.Guest.Name}},</p>
<p>your booking at {{.Property.Name}} for {{.Stay.Dates}}{{with .Stay.Guest}} ({{.}}){{end}}, reference {{.Stay.Reference}}, is cancelled.</p>
<p>We hope to welcome you another time.</p>
<p>{{.Property.Name}}<br>{{.Property.Address}}</p>
`,
		},
	},
	"de": {
		KindConfirmation: {
			subject: "Ihre Buchung im {{.Property.Name}}: {{.Stay.Dates}}",
			text: `Guten Tag {{.Guest.Name}},

vielen Dank für Ihre Buchung im {{.Property.Name}}.

Anreise: {{.Stay.Arrival}}, Check-in ab {{.Property.CheckInTime}} Uhr
Abreise: {{.Stay.Departure}}, Check-out bis {{.Property.CheckOutTime}} Uhr
Zimmer: {{.Stay.RoomType}} für {{.Stay.Adults}} Erwachsene{{if .Stay.Children}} und {{.Stay.Children}} Kind(er){{end}}
{{with .Stay.Guest}}Gast: {{.}}
{{end}}Gesamt: {{.Stay.Total}}
Buchungsnummer: {{.Stay.Reference}}

Wir freuen uns auf Ihren Besuch.

{{.Property.Name}}
{{.Property.Address}}
`,
			html: `<p>Guten Tag {{.Guest.Name}},</p>
<p>vielen Dank für Ihre Buchung im {{.Property.Name}}.</p>
<table>
<tr><th align="left">Anreise</th><td>{{.Stay.Arrival}}, Check-in ab {{.Property.CheckInTime}} Uhr</td></tr>
<tr><th align="left">Abreise</th><td>{{.Stay.Departure}}, Check-out bis {{.Property.CheckOutTime}} Uhr</td></tr>
<tr><th align="left">Zimmer</th><td>{{.Stay.RoomType}} für {{.Stay.Adults}} Erwachsene{{if .Stay.Children}} und {{.Stay.Children}} Kind(er){{end}}</td></tr>
{{with .Stay.Guest}}<tr><th align="left">Gast</th><td>{{.}}</td></tr>
{{end}}<tr><th align="left">Gesamt</th><td>{{.Stay.Total}}</td></tr>
<tr><th align="left">Buchungsnummer</th><td>{{.Stay.Reference}}</td></tr>
</table>
<p>Wir freuen uns auf Ihren Besuch.</p>
<p>{{.Property.Name}}<br>{{.Property.Address}}</p>
`,
		},
		KindPreArrival: {
			subject: "Bis bald im {{.Property.Name}}",
			text: `Guten Tag {{.Guest.Name}},

Ihr Aufenthalt im {{.Property.Name}} beginnt am {{.Stay.Arrival}}. Check-in ist ab {{.Property.CheckInTime}} Uhr; bitte sagen Sie uns Bescheid, wenn Sie später ankommen.

Unsere Adresse: {{.Property.Address}}
Buchungsnummer: {{.Stay.Reference}}

{{.Property.Name}}
`,
			html: `<p>Guten Tag {{.Guest.Name}},</p>
<p>Ihr Aufenthalt im {{.Property.Name}} beginnt am {{.Stay.Arrival}}. Check-in ist ab {{.Property.CheckInTime}} Uhr; bitte sagen Sie uns Bescheid, wenn Sie später ankommen.</p>
<p>Unsere Adresse: {{.Property.Address}}<br>Buchungsnummer: {{.Stay.Reference}}</p>
<p>{{.Property.Name}}</p>
`,
		},
		KindCancellation: {
			subject: "Ihre Buchung im {{.Property.Name}} ist storniert",
			text: `Guten Tag {{.Guest.Name}},

Ihre Buchung im {{.Property.Name}} für {{.Stay.Dates}}{{with .Stay.Guest}} ({{.}}){{end}}, Buchungsnummer {{.Stay.Reference}}, ist storniert.

Wir hoffen, Sie ein andermal begrüßen zu dürfen.

{{.Property.Name}}
{{.Property.Address}}
`,
			html: `<p>Guten Tag {{.Guest.Name}},</p>
<p>Ihre Buchung im {{.Property.Name}} für {{.Stay.Dates}}{{with .Stay.Guest}} ({{.}}){{end}}, Buchungsnummer {{.Stay.Reference}}, ist storniert.</p>
<p>Wir hoffen, Sie ein andermal begrüßen zu dürfen.</p>
<p>{{.Property.Name}}<br>{{.Property.Address}}</p>
`,
		},
	},
}

// builtin returns the built-in wording of kind in language (English when
// there is none in that language).
func builtin(kind, language string) Template {
	w, ok := builtins[language][kind]
	if !ok {
		language = "en"
		w = builtins["en"][kind]
	}
	return Template{Kind: kind, Language: language, Subject: w.subject, Text: w.text, HTML: w.html}
}
