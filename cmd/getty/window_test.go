package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gettykit/getty/gen"
	"github.com/gettykit/getty/gettytest"
)

// TestListWindow: --from alone lists until now (the client sends date_to),
// not the 30 days after it that Getty would default to; --to alone lists
// the 30 days before it; the help says so.
func TestListWindow(t *testing.T) {
	// One download a day at 10:00 UTC, 2025-11-01 to 2026-03-01 (the fake's now).
	var history []gen.HistoricalDownload
	user := gettytest.Username
	for d := time.Date(2025, 11, 1, 10, 0, 0, 0, time.UTC); !d.After(gettytest.DefaultNow); d = d.AddDate(0, 0, 1) {
		id := d.Format("20060102")
		history = append(history, gen.HistoricalDownload{ID: id, DateDownloaded: d, User: gen.DownloadUser{Username: user}})
	}
	// The fake's clock is the end of the history: with no dates, its default
	// window is the last 30 days of it.
	_, env := fakeEnv(t, gettytest.WithNow(gettytest.DefaultNow), gettytest.WithHistory(history))
	tests := []struct {
		name string
		args []string
		want int // result_count
	}{
		{"no dates: the last 30 days", nil, 31},
		{"--from alone: until now", []string{"--from", "2026-01-01"}, 60},
		{"--from alone, every page: until now", []string{"--from", "2026-01-01", "--all", "--page-size", "25"}, 60},
		{"--to alone: the 30 days before", []string{"--to", "2026-01-31"}, 31},
		{"--to alone, every page", []string{"--to", "2026-01-31", "--all", "--page-size", "25"}, 31},
		{"both", []string{"--from", "2026-01-01", "--to", "2026-01-10"}, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runApp(t, env, false, append([]string{"downloads", "list", "--json"}, tc.args...)...)
			if r.code != exitOK {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if want := `"result_count": ` + strconv.Itoa(tc.want) + ","; !strings.Contains(r.stdout, want) {
				t.Errorf("stdout lacks %s: %.200s", want, r.stdout)
			}
		})
	}

	r := runApp(t, nil, false, "downloads", "list", "--help")
	for _, want := range []string{
		"default 30 days before --to",
		"default now, also when only --from is given",
		"the current date or 30 days after --from, whichever is earlier",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q:\n%s", want, r.stdout)
		}
	}
}
