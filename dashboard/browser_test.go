package dashboard

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"brook/engine"
)

// chromiumPath is Debian's chromium; .ci/run installs it.
const chromiumPath = "/usr/bin/chromium"

// TestBrowserChartUpdates loads the page in headless Chromium, sees the
// chart's points, publishes a new micro-batch and sees the points change
// through server-sent events, without reloading the page.
func TestBrowserChartUpdates(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("headless Chromium not found at %s (Debian packages chromium and chromium-driver; .ci/run installs them): %v", chromiumPath, err)
	}
	// Chromium's helpers may still write to its profile just after it
	// exits: remove the directory with retries (t.TempDir would fail).
	profile, err := os.MkdirTemp("", "brook-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for i := 0; i < 40 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	}()
	d := windowed(t, engine.Update)
	ts := httptest.NewServer(d.Handler())
	defer ts.Close()
	defer d.Close() // ends the page's event stream before ts.Close waits for it
	d.Observe(batch(0, win(0, 100, 1), win(10, 300, 2), win(20, 200, 1)))

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 14*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	// This chromedp's protocol tables may be older than the browser: drop
	// its complaints about events it cannot decode.
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithErrorf(func(string, ...any) {}))
	defer cancelBrowser()

	const points = `Array.from(document.querySelectorAll('svg.chart[data-column="b"] circle.pt')).map(c => c.dataset.x + ":" + c.dataset.y).join(" ")`
	var before string
	if err := chromedp.Run(bctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(`svg.chart[data-column="b"] circle.pt`, chromedp.ByQuery),
		chromedp.Evaluate(points, &before),
	); err != nil {
		t.Fatalf("loading the dashboard: %v", err)
	}
	if before != "0:100 10:300 20:200" {
		t.Fatalf("chart points before the batch: %q, want 0:100 10:300 20:200", before)
	}
	var table string
	if err := chromedp.Run(bctx, chromedp.Text("#result tbody", &table, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table, "300") {
		t.Fatalf("result table: %q", table)
	}

	d.Observe(batch(1, win(10, 350, 3), win(30, 50, 1))) // update mode: changed rows only
	var after string
	for {
		if err := chromedp.Run(bctx, chromedp.Evaluate(points, &after)); err != nil {
			t.Fatalf("reading the chart after the batch: %v", err)
		}
		if after == "0:100 10:350 20:200 30:50" {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the chart did not update: points %q, want 0:100 10:350 20:200 30:50", after)
		case <-time.After(50 * time.Millisecond):
		}
	}
	var batches, late string
	if err := chromedp.Run(bctx, chromedp.Text("#p-batches", &batches, chromedp.ByQuery), chromedp.Text("#p-late", &late, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if batches != "2" || late != "1" {
		t.Fatalf("progress strip: batches %q late %q, want 2 and 1", batches, late)
	}
}
