package pms

import (
	"context"
	"net/http"

	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/channels"
)

// The channels API: calendar exports and feeds of a property, and the
// channel manager's booking revisions.

// ExportCreated is the answer to creating or rotating a calendar export:
// the export and its URL, shown this once.
type ExportCreated struct {
	Export channels.Export `json:"export"`
	URL    string          `json:"url"`
}

// newExport creates an export and registers its token in the platform
// index; without the index row the URL would never answer, so a failed
// registration takes the export back.
func (s Handlers) newExport(r *http.Request, c *web.Call, in channels.ExportInput) (channels.Export, string, error) {
	e, token, err := channels.New(c.DB).CreateExport(r.Context(), in)
	if err != nil {
		return e, "", err
	}
	if err := s.Cfg.Platform.RegisterCalendarToken(r.Context(), channels.TokenHash(token), c.Tenant.ID); err != nil {
		channels.New(c.DB).RevokeExport(context.WithoutCancel(r.Context()), e.ID)
		return e, "", err
	}
	return e, token, nil
}

func (s Handlers) ApiExports(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	pid, err := apiPropertyID(r, c)
	if err != nil {
		return err
	}
	list, err := channels.New(c.DB).ListExports(r.Context(), pid)
	if err != nil {
		return err
	}
	out, err := pageOf(r, list)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, out)
}

func (s Handlers) ApiExportCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in channels.ExportInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	e, token, err := s.newExport(r, c, in)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusCreated, ExportCreated{Export: e, URL: s.calendarURL(r, token)})
}

func (s Handlers) ApiExportRevoke(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	e, old, err := channels.New(c.DB).RevokeExport(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	if old != nil {
		if err := s.Cfg.Platform.ForgetCalendarToken(context.WithoutCancel(r.Context()), old); err != nil {
			s.Logger(r).Warn("calendar token index: forget failed", "err", err)
		}
	}
	return writeAPI(w, http.StatusOK, e)
}

func (s Handlers) ApiFeeds(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	pid, err := apiPropertyID(r, c)
	if err != nil {
		return err
	}
	list, err := channels.New(c.DB).ListFeeds(r.Context(), pid)
	if err != nil {
		return err
	}
	out, err := pageOf(r, list)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, out)
}

func (s Handlers) ApiFeedCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in channels.FeedInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	f, err := channels.New(c.DB).CreateFeed(r.Context(), in)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusCreated, f)
}

func (s Handlers) ApiFeedPoll(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	res, err := channels.New(c.DB).PollFeed(r.Context(), c.Params.ByName("id"), s.calendarFetcher())
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, res)
}

func (s Handlers) ApiRevisions(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	pid, err := apiPropertyID(r, c)
	if err != nil {
		return err
	}
	list, err := channels.New(c.DB).Revisions(r.Context(), pid, r.URL.Query().Get("booking_id"), 500)
	if err != nil {
		return err
	}
	out, err := pageOf(r, list)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, out)
}

// FeedDeleted is the answer to deleting an imported calendar.
type FeedDeleted struct {
	FeedID          string `json:"feed_id"`
	BlocksCancelled int    `json:"blocks_cancelled"`
}

func (s Handlers) ApiFeedDelete(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	id := c.Params.ByName("id")
	n, err := channels.New(c.DB).DeleteFeed(r.Context(), id)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, FeedDeleted{FeedID: id, BlocksCancelled: n})
}

func (s Handlers) ApiAttention(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	pid, err := apiPropertyID(r, c)
	if err != nil {
		return err
	}
	a, err := channels.New(c.DB).AttentionOf(r.Context(), pid, s.Cfg.Now())
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, a)
}

// ResyncQueued is the answer to a full resync.
type ResyncQueued struct {
	PropertyID string `json:"property_id"`
	Queued     int    `json:"queued"` // rows waiting in the ARI outbox
}

// ApiResync queues the property's whole ARI again (the full resync).
func (s Handlers) ApiResync(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	pid, err := apiPropertyID(r, c)
	if err != nil {
		return err
	}
	st := channels.New(c.DB)
	if err := st.ResyncARI(r.Context(), pid); err != nil {
		return err
	}
	n, err := st.OutboxLen(r.Context())
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusAccepted, ResyncQueued{PropertyID: pid, Queued: n})
}
