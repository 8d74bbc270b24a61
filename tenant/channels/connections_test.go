package channels_test

import (
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/channels"
)

func TestConnectionRefused(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2026-03-10")
	st := channels.New(f.DB)
	good := channels.ConnectionInput{PropertyID: f.Prop.ID, Provider: "channex", BaseURL: "https://app.channex.io", ExternalPropertyID: "p1", APIKey: "0123456789"}
	for name, mod := range map[string]func(*channels.ConnectionInput){
		"provider":   func(in *channels.ConnectionInput) { in.Provider = "other" },
		"url":        func(in *channels.ConnectionInput) { in.BaseURL = "ftp://x" },
		"key":        func(in *channels.ConnectionInput) { in.APIKey = "short" },
		"property":   func(in *channels.ConnectionInput) { in.ExternalPropertyID = "" },
		"per minute": func(in *channels.ConnectionInput) { in.PerMinute = 1000 },
	} {
		in := good
		mod(&in)
		if _, err := st.SetConnection(f.Ctx, in); aura.ErrorCode(err) != aura.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	in := good
	in.PropertyID = "prp_nope"
	if _, err := st.SetConnection(f.Ctx, in); aura.ErrorCode(err) != aura.ENOTFOUND {
		t.Errorf("unknown property: %v", err)
	}
	if conns, _, err := st.Connections(f.Ctx); err != nil || len(conns) != 0 {
		t.Fatalf("connections after refusals: %d %v", len(conns), err)
	}
	c, err := st.SetConnection(f.Ctx, good)
	if err != nil || c.PerMinute != 10 {
		t.Fatalf("%+v %v", c, err)
	}
	f.VerifyAudit(t)
}
