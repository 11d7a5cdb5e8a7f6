package dashboard

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"brook/engine"
	"brook/ingest"
	"brook/sql"
	"brook/stream"
	"brook/value"
)

type testCatalog struct{}

func (testCatalog) Schema(string) (value.Schema, error) {
	return value.Schema{{Name: "time", Type: value.Float}, {Name: "bytes", Type: value.Int}, {Name: "dev", Type: value.String}}, nil
}
func (testCatalog) Tables() []string { return []string{"t"} }

// windowed returns a dashboard for bytes per 10 s in the given mode.
func windowed(t *testing.T, mode engine.Mode) *Server {
	t.Helper()
	p, err := sql.Build(`SELECT TUMBLE("time", 10) AS ws, sum(bytes) AS b, count(*) AS n FROM t GROUP BY TUMBLE("time", 10)`, testCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	return New(p, mode, nil)
}

func win(start float64, b, n int64) []value.Value {
	return []value.Value{value.FloatValue(start), value.IntValue(b), value.IntValue(n)}
}

func batch(id int64, rows ...[]value.Value) stream.Batch {
	return stream.Batch{ID: id, Files: []string{"f.json"}, RowsIn: 10, Rows: rows, Arrived: time.Now().Add(-time.Millisecond),
		Elapsed: 2 * time.Millisecond, Groups: len(rows), Late: id, Watermark: value.FloatValue(float64(100 + id))}
}

// pageState is the part of the state JSON the tests read.
type pageState struct {
	Version int64   `json:"version"`
	Rows    [][]any `json:"rows"`
	Xs      []float64
	Chart   *struct {
		X      int   `json:"x"`
		Series []int `json:"series"`
	} `json:"chart"`
	Progress Progress `json:"progress"`
}

// nextEvent reads one server-sent event and decodes its data.
func nextEvent(t *testing.T, r *bufio.Reader) pageState {
	t.Helper()
	var event string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading events: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if event != "state" {
				t.Fatalf("event %q, want state", event)
			}
			var st pageState
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &st); err != nil {
				t.Fatalf("bad state JSON: %v\n%s", err, line)
			}
			return st
		}
	}
}

func TestEventsStreamEveryBatch(t *testing.T) {
	d := windowed(t, engine.Complete)
	ts := httptest.NewServer(d.Handler())
	defer ts.Close()
	defer d.Close()
	d.Observe(batch(0, win(0, 100, 1), win(10, 200, 2)))

	resp, err := http.Get(ts.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	r := bufio.NewReader(resp.Body)
	first := nextEvent(t, r) // the current state, on connect
	if len(first.Rows) != 2 || first.Chart == nil || first.Chart.X != 0 || len(first.Chart.Series) != 2 {
		t.Fatalf("first state: %+v", first)
	}
	if first.Xs[1] != 10 || first.Progress.Batches != 1 || first.Progress.RowsIn != 10 || first.Progress.Watermark != "100.0" {
		t.Fatalf("first state: %+v", first)
	}
	d.Observe(batch(1, win(0, 100, 1), win(10, 250, 3), win(20, 50, 1)))
	second := nextEvent(t, r)
	if second.Version <= first.Version || len(second.Rows) != 3 || second.Rows[1][1].(float64) != 250 {
		t.Fatalf("second state: %+v", second)
	}
	if second.Progress.Batches != 2 || second.Progress.RowsIn != 20 || second.Progress.Late != 1 || second.Progress.LatencyMS != 2 {
		t.Fatalf("progress: %+v", second.Progress)
	}
}

// TestUpdateModeKeepsWholeResult: update and append batches carry only
// changed rows; the dashboard merges them by key into the whole result.
func TestUpdateModeKeepsWholeResult(t *testing.T) {
	d := windowed(t, engine.Update)
	defer d.Close()
	d.Observe(batch(0, win(10, 1, 1), win(0, 5, 1)))
	d.Observe(batch(1, win(10, 7, 2)))
	d.Observe(batch(2, win(20, 3, 1)))
	rows := d.Rows()
	want := [][3]int64{{0, 5, 1}, {10, 7, 2}, {20, 3, 1}} // in window order
	if len(rows) != len(want) {
		t.Fatalf("rows %v", rows)
	}
	for i, w := range want {
		if f, _ := rows[i][0].AsFloat(); int64(f) != w[0] || rows[i][1].I != w[1] || rows[i][2].I != w[2] {
			t.Fatalf("row %d = %v, want %v", i, rows[i], w)
		}
	}
}

func TestMetricsScrape(t *testing.T) {
	d := windowed(t, engine.Complete)
	defer d.Close()
	ts := httptest.NewServer(d.Handler())
	defer ts.Close()
	d.Observe(batch(0, win(0, 100, 1)))
	b := batch(3, win(0, 100, 1)) // 3 late rows so far
	b.Rejects = []ingest.Reject{{Source: "f.json", Line: 7, Reason: "bad JSON"}}
	d.Observe(b)
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	text := string(body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		"brook_rows_in_total 20\n",
		"brook_batches_total 2\n",
		"brook_batch_latency_seconds_count 2\n",
		`brook_batch_latency_seconds_bucket{le="0.00390625"} 2`,
		"brook_state_groups 1\n",
		"brook_watermark_seconds 103\n",
		"brook_late_rows_total 3\n",
		"brook_rejected_rows_total 1\n",
		"# TYPE brook_batch_latency_seconds histogram",
		"go_goroutines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", text)
	}
}

func TestPageIsSelfContained(t *testing.T) {
	d := windowed(t, engine.Complete)
	defer d.Close()
	rec := httptest.NewRecorder()
	d.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	page := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(page, "new EventSource(\"events\")") {
		t.Fatalf("status %d, page:\n%.300s", rec.Code, page)
	}
	for _, external := range []string{"http://", "https://", "//cdn", "<link"} {
		if strings.Contains(strings.ReplaceAll(page, "http://www.w3.org/2000/svg", ""), external) {
			t.Errorf("page refers to something outside itself: %q", external)
		}
	}
}

func TestListenAddr(t *testing.T) {
	for in, want := range map[string]string{"8080": "127.0.0.1:8080", ":8080": "127.0.0.1:8080", "": "127.0.0.1:0",
		"127.0.0.1:9": "127.0.0.1:9", "0.0.0.0:80": "0.0.0.0:80", "localhost:1": "localhost:1"} {
		if got := ListenAddr(in); got != want {
			t.Errorf("ListenAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStartAddressInUse: a port another process listens on gets an error
// that says what to do; port 0 picks a free one and the URL names it.
func TestStartAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := windowed(t, engine.Complete)
	defer s.Close()
	_, err = s.Start(l.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "another process uses "+l.Addr().String()+": pick another port, or :0 for a free one") {
		t.Fatalf("Start on a port in use: %v", err)
	}
	url, err := s.Start(":0")
	if err != nil || !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasSuffix(url, ":0/") {
		t.Fatalf("Start(:0) = %q, %v", url, err)
	}
}

// TestHostCheckAndHeaders: a dashboard on loopback answers to loopback
// names only (a rebound DNS name pointing at 127.0.0.1 gets 421 and no
// data), and every answer carries the security headers.
func TestHostCheckAndHeaders(t *testing.T) {
	s := windowed(t, engine.Complete)
	defer s.Close()
	url, err := s.Start(":0")
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	_, port, _ := net.SplitHostPort(addr)
	for _, c := range []struct {
		host string
		code int
	}{
		{addr, http.StatusOK},
		{"localhost:" + port, http.StatusOK},
		{"LOCALHOST", http.StatusOK},
		{"[::1]:" + port, http.StatusOK},
		{"attacker.example:" + port, http.StatusMisdirectedRequest},
		{"127.0.0.1.nip.io:" + port, http.StatusMisdirectedRequest},
		{"10.0.0.5:" + port, http.StatusMisdirectedRequest},
	} {
		for _, path := range []string{"/", "/state", "/metrics"} {
			req, err := http.NewRequest("GET", url+strings.TrimPrefix(path, "/"), nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = c.host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.code {
				t.Errorf("Host %s %s: status %d, want %d (%s)", c.host, path, resp.StatusCode, c.code, body)
			}
			if c.code != http.StatusOK && !strings.Contains(string(body), "answers to localhost, 127.0.0.1 or [::1] only") {
				t.Errorf("Host %s %s: refusal says %q", c.host, path, body)
			}
			for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
				if got := resp.Header.Get(h); got != want {
					t.Errorf("Host %s %s: %s = %q, want %q", c.host, path, h, got, want)
				}
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "connect-src 'self'") {
				t.Errorf("Host %s %s: Content-Security-Policy %q", c.host, path, csp)
			}
		}
	}
}
