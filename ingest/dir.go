package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Extensions are the file name endings a directory source reads; each may
// also end in .gz.
var Extensions = []string{".json", ".ndjson", ".jsonl"}

// DirOptions configure a directory source.
type DirOptions struct {
	// Path is a directory, a glob pattern (testdata/flows/*.json) or a file.
	Path string
	// FilesPerBatch is how many files make one micro-batch (default 1).
	FilesPerBatch int
	// Follow keeps watching Path for new files instead of ending when the
	// files present are read.
	Follow bool
	// Poll is how often a followed directory is listed (default 250ms).
	Poll time.Duration
	// Settle is how long a file's size and modification time must stay
	// unchanged before a followed file is read (default 1s); see DirSource.
	Settle time.Duration
	// Note, when set, is told of a followed file that waits for more than
	// Settle: one whose last line has no newline yet.
	Note func(msg string)
	// Trigger, when set, starts micro-batches at most once per interval of
	// processing time, as Spark's processing-time trigger does: a backlog
	// is read one batch per interval instead of as fast as possible.
	Trigger time.Duration
}

// DirSource reads NDJSON files in name order.
//
// Names starting with "." or "_" are never read: writing a file under such
// a name and renaming it into place is the way to hand over a file that is
// never seen half-written. Without Follow the files present when a batch
// starts are taken as complete.
//
// With Follow, a file is complete, and read, once it ends with a newline
// (or is empty, or is a .gz file) and its size and modification time have
// not changed for Settle. A file whose last line has no newline yet is
// waited for however long it stays still (and Note is told). That is all
// a reader can check: a writer that pauses longer than Settle right after
// a newline has its file read early. So a followed file that changes
// after it was read (another size or modification time) is never ignored:
// the next Next returns a *FileError naming it, once per change (a run
// stops on it under --on-error fail, counts it under skip). A file removed
// after it was read is not an error.
//
// A file is read once; files that appear later with a name ordering before
// ones already read are still picked up.
type DirSource struct {
	opts   DirOptions
	done   map[string]bool
	seen   map[string]fileState
	stamps map[string]FileStamp // of every file read, as it was read
	// reported is, for each followed file that changed after it was
	// read, its stamp when that was reported (each change once).
	reported map[string]FileStamp
	clock    func() time.Time
	last     time.Time // when the previous batch was handed out (Trigger)
}

// FileStamp is a file's size and modification time, taken when a source
// read it, to tell later whether it still holds what was read.
type FileStamp struct {
	Size    int64
	ModTime time.Time
}

// FileError is a file a directory source could not read: a corrupt .gz
// file, or one removed or unreadable by the time it was read. A consumer
// that skips bad input calls DirSource.SkipFile and then Next again.
type FileError struct {
	Name   string
	Reason string // e.g. "corrupt gzip file: unexpected EOF"
	Err    error
	// NotRegular marks a name that is not a regular file (a named pipe,
	// socket or device): it is never opened, and a run skips and counts
	// it whatever --on-error says.
	NotRegular bool
}

func (e *FileError) Error() string { return e.Name + ": " + e.Reason }

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

type fileState struct {
	size    int64
	modTime time.Time
	since   time.Time // when this size and modTime were first seen
	noted   bool      // Note was told it waits for its last newline
}

// MissingDirError is the error for a source directory that does not exist:
// it says to create it and, when the run follows the directory (Follow),
// that the files arriving in it are read. It wraps fs.ErrNotExist.
type MissingDirError struct {
	Path   string
	Follow bool
}

// MissingDir returns a *MissingDirError for path.
func MissingDir(path string, follow bool) error {
	return &MissingDirError{Path: path, Follow: follow}
}

func (e *MissingDirError) Error() string {
	if e.Follow {
		return fmt.Sprintf("source %s: no such directory; create it (mkdir -p %s) and --follow reads the files that arrive in it", e.Path, e.Path)
	}
	return fmt.Sprintf("source %s: no such directory; check the path, or create it (mkdir -p %s) and put NDJSON files in it", e.Path, e.Path)
}

// Unwrap returns fs.ErrNotExist.
func (e *MissingDirError) Unwrap() error { return fs.ErrNotExist }

// OpenDir checks that opts.Path exists (a glob must match or its directory
// exist) and returns a source over it.
func OpenDir(opts DirOptions) (*DirSource, error) {
	if opts.FilesPerBatch <= 0 {
		opts.FilesPerBatch = 1
	}
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.Settle <= 0 {
		opts.Settle = time.Second
	}
	if !hasGlob(opts.Path) {
		if _, err := os.Stat(opts.Path); errors.Is(err, fs.ErrNotExist) {
			return nil, MissingDir(opts.Path, opts.Follow)
		} else if err != nil {
			return nil, fmt.Errorf("source %s: %w", opts.Path, err)
		}
	} else if matches, err := filepath.Glob(opts.Path); err != nil {
		return nil, fmt.Errorf("source %s: bad pattern: %w", opts.Path, err)
	} else if dir := filepath.Dir(opts.Path); len(matches) == 0 && !hasGlob(dir) {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("source %s: %w", opts.Path, err)
		}
	}
	return &DirSource{opts: opts, done: map[string]bool{}, seen: map[string]fileState{}, stamps: map[string]FileStamp{}, reported: map[string]FileStamp{}, clock: time.Now}, nil
}

func hasGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

// Readable reports whether name has one of the Extensions (optionally with
// .gz) and is not a temporary file.
func Readable(name string) bool {
	base := filepath.Base(name)
	if strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") {
		return false
	}
	base = strings.TrimSuffix(strings.ToLower(base), ".gz")
	for _, ext := range Extensions {
		if strings.HasSuffix(base, ext) {
			return true
		}
	}
	return false
}

// List returns the readable files under opts.Path in name order. Names
// that are not regular files (a named pipe, socket or device called
// x.json) are left out: opening one could block for ever. ListSkipping
// says which they are.
func (s *DirSource) List() ([]string, error) {
	files, _, err := s.ListSkipping()
	return files, err
}

// ListSkipping is List, and also returns, in name order, the entries with
// a readable name that are not regular files, each as the *FileError a run
// reports for it (see FileError.NotRegular): they are never opened.
func (s *DirSource) ListSkipping() (files []string, skipped []*FileError, err error) {
	names, irregular, err := listFiles(s.opts.Path)
	if err != nil {
		return nil, nil, err
	}
	for _, name := range names {
		if mode, bad := irregular[name]; bad {
			skipped = append(skipped, notRegular(name, mode))
		} else {
			files = append(files, name)
		}
	}
	return files, skipped, nil
}

// notRegular is the error for a name that is not a regular file.
func notRegular(name string, mode fs.FileMode) *FileError {
	what := "not a regular file"
	switch {
	case mode&fs.ModeNamedPipe != 0:
		what += " (a named pipe)"
	case mode&fs.ModeSocket != 0:
		what += " (a socket)"
	case mode&fs.ModeDevice != 0:
		what += " (a device)"
	}
	return &FileError{Name: name, Reason: what + ": skipped, never opened", NotRegular: true, Err: errNotRegular}
}

var errNotRegular = errors.New("not a regular file")

// listFiles returns the entries of path with a readable name, in name
// order, directories left out; irregular holds the mode of those that are
// not regular files (nil when there are none). A directory listing gives
// each entry's type without a stat; only symbolic links are followed.
func listFiles(path string) (names []string, irregular map[string]fs.FileMode, err error) {
	mark := func(name string, mode fs.FileMode) {
		if !mode.IsRegular() {
			if irregular == nil {
				irregular = map[string]fs.FileMode{}
			}
			irregular[name] = mode
		}
	}
	if hasGlob(path) {
		matches, err := filepath.Glob(path)
		if err != nil {
			return nil, nil, err
		}
		for _, m := range matches {
			if Readable(m) {
				info, err := os.Stat(m)
				if err == nil && info.IsDir() {
					continue // as in a directory listing
				}
				if err == nil {
					mark(m, info.Mode())
				}
				names = append(names, m)
			}
		}
	} else {
		info, err := os.Stat(path)
		if err != nil {
			return nil, nil, err
		}
		if !info.IsDir() {
			mark(path, info.Mode())
			return []string{path}, irregular, nil
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range entries {
			if e.IsDir() || !Readable(e.Name()) {
				continue
			}
			name := filepath.Join(path, e.Name())
			mode := e.Type()
			if mode&fs.ModeSymlink != 0 {
				info, err := os.Stat(name)
				if err != nil {
					names = append(names, name) // a dangling link: reading it says why
					continue
				}
				if info.IsDir() {
					continue
				}
				mode = info.Mode()
			}
			mark(name, mode)
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, irregular, nil
}

// Next returns the next FilesPerBatch unread files. Without Follow it
// returns ErrEndOfInput once every file is read; with Follow it waits for
// new files until ctx ends.
func (s *DirSource) Next(ctx context.Context) (*RawBatch, error) {
	if s.opts.Trigger > 0 && !s.last.IsZero() {
		if wait := s.opts.Trigger - s.clock().Sub(s.last); wait > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(wait):
			}
		}
	}
	s.last = s.clock()
	for {
		ready, err := s.ready()
		if err != nil {
			return nil, err
		}
		if len(ready) > 0 {
			if len(ready) > s.opts.FilesPerBatch {
				ready = ready[:s.opts.FilesPerBatch]
			}
			return s.read(ready)
		}
		if !s.opts.Follow {
			return nil, ErrEndOfInput
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(s.opts.Poll):
		}
	}
}

func (s *DirSource) ready() ([]string, error) {
	names, _, err := listFiles(s.opts.Path)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.opts.Path, err)
	}
	var ready []string
	now := s.clock()
	blocked := false // an earlier file is not ready: keep name order
	for _, name := range names {
		if s.done[name] {
			if s.opts.Follow {
				if fe := s.changedSinceRead(name); fe != nil {
					return nil, fe
				}
			}
			continue
		}
		if !s.opts.Follow {
			ready = append(ready, name)
			continue
		}
		info, err := os.Stat(name)
		if err != nil {
			continue // renamed or removed between listing and stat
		}
		st, ok := s.seen[name]
		if !ok || st.size != info.Size() || !st.modTime.Equal(info.ModTime()) {
			s.seen[name] = fileState{size: info.Size(), modTime: info.ModTime(), since: now}
			blocked = true
			continue
		}
		if !blocked && now.Sub(st.since) >= s.opts.Settle {
			if !endsLine(name, info) {
				if !st.noted && s.opts.Note != nil {
					s.opts.Note(fmt.Sprintf("waiting for %s: unchanged for %v, but its last line has no newline yet (a followed file is read once complete: write it under a temporary name and rename it into place)", name, s.opts.Settle))
				}
				st.noted = true
				s.seen[name] = st
				blocked = true // keep name order
				continue
			}
			ready = append(ready, name)
		} else {
			blocked = true // wait for this file before later ones
		}
	}
	return ready, nil
}

// endsLine reports whether the file info describes can be complete: it is
// empty, a .gz file (whose end gzip checks), not a regular file (reading
// it says why it is not read), or its last byte is a newline.
func endsLine(name string, info fs.FileInfo) bool {
	if info.Size() == 0 || !info.Mode().IsRegular() || strings.HasSuffix(strings.ToLower(name), ".gz") {
		return true
	}
	f, err := os.Open(name)
	if err != nil {
		return true // reading it says why
	}
	defer f.Close()
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, info.Size()-1); err != nil {
		return true // shrunk meanwhile: the next stat sees it
	}
	return last[0] == '\n'
}

// changedSinceRead returns the error for a file read earlier that now has
// another size or modification time, once per change; nil when it is as
// read, removed, or was not read by this source.
func (s *DirSource) changedSinceRead(name string) *FileError {
	st, ok := s.stamps[name]
	if !ok {
		return nil
	}
	info, err := os.Stat(name)
	if err != nil {
		return nil // removed after it was read: not an error
	}
	now := FileStamp{Size: info.Size(), ModTime: info.ModTime()}
	same := func(a, b FileStamp) bool { return a.Size == b.Size && a.ModTime.Equal(b.ModTime) }
	if same(now, st) || same(now, s.reported[name]) {
		return nil
	}
	why := st.Check(name)
	if why == "" {
		return nil
	}
	s.reported[name] = now
	return &FileError{Name: name, Err: errChangedAfterRead,
		Reason: why + ": brook read it once, as it was then, and does not read it again (a followed file is read once it ends with a newline and has not changed for --settle; write it under a temporary name and rename it into place)"}
}

var errChangedAfterRead = errors.New("changed after it was read")

// read reads the named files in order. When one cannot be read no file of
// the batch counts as read, and the error is a *FileError naming it (see
// SkipFile).
func (s *DirSource) read(names []string) (*RawBatch, error) {
	b := &RawBatch{}
	stamps := make([]FileStamp, len(names))
	for i, name := range names {
		// The stamp is taken before reading: a change after it, even
		// while reading, shows as a different stamp later (Changed).
		info, err := os.Stat(name)
		var data []byte
		if err == nil && !info.Mode().IsRegular() {
			err = notRegular(name, info.Mode()) // opening it could block for ever
		} else if err == nil {
			if strings.HasSuffix(strings.ToLower(name), ".gz") {
				data, err = ReadFile(name)
			} else if data, err = readPooled(name); err == nil {
				b.pooled = append(b.pooled, data)
			}
		}
		if err != nil {
			b.Release()
			var fe *FileError
			if errors.As(err, &fe) {
				return nil, fe
			}
			return nil, &FileError{Name: name, Reason: "cannot read the file: " + pathErrText(err), Err: err}
		}
		stamps[i] = FileStamp{Size: info.Size(), ModTime: info.ModTime()}
		b.Chunks = append(b.Chunks, Chunk{Name: name, FirstLine: 1, Data: data})
		b.Files = append(b.Files, name)
		b.Bytes += int64(len(data))
	}
	for i, name := range names {
		s.done[name] = true
		s.stamps[name] = stamps[i]
		delete(s.seen, name)
	}
	return b, nil
}

// SkipFile counts name as read without reading it, for a consumer that
// skips a file Next could not read (a *FileError) and goes on with the
// files after it.
func (s *DirSource) SkipFile(name string) {
	s.done[name] = true
	delete(s.seen, name)
}

// pathErrText is err's text without the operation and path a
// *fs.PathError repeats.
func pathErrText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Changed checks the files the source read against their stamps and
// describes each one removed or changed since (a different size or
// modification time): reading it again would not give what the source
// read. Files the source did not read are not checked. Call it when no
// Next is in progress.
func (s *DirSource) Changed(files []string) []string {
	var changed []string
	for _, name := range files {
		st, ok := s.stamps[name]
		if !ok {
			continue
		}
		if why := st.Check(name); why != "" {
			changed = append(changed, name+": "+why)
		}
	}
	return changed
}

// Stamp returns the size and modification time the named file had when
// the source read it; ok is false for a file it has not read.
func (s *DirSource) Stamp(name string) (st FileStamp, ok bool) {
	st, ok = s.stamps[name]
	return st, ok
}

// Check says how the file name differs from the stamp: removed, another
// size or another modification time; "" when it matches.
func (st FileStamp) Check(name string) string {
	info, err := os.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "removed after it was read"
	case err != nil:
		return "cannot check it: " + pathErrText(err)
	case info.Size() != st.Size:
		return fmt.Sprintf("rewritten after it was read (%d bytes then, %d now)", st.Size, info.Size())
	case !info.ModTime().Equal(st.ModTime):
		return fmt.Sprintf("modified after it was read (at %s, read as of %s)", info.ModTime().Format(time.RFC3339Nano), st.ModTime.Format(time.RFC3339Nano))
	}
	return ""
}

// ReadFile reads a whole input file, decompressing it when its name ends
// in .gz. A corrupt .gz file is a *FileError naming the file.
func ReadFile(name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(strings.ToLower(name), ".gz") {
		return data, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, &FileError{Name: name, Reason: "corrupt gzip file: " + err.Error(), Err: err}
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, &FileError{Name: name, Reason: "corrupt gzip file: " + err.Error(), Err: err}
	}
	return out, nil
}

// Resume marks files as already processed (from a checkpoint): they are
// not read again.
func (s *DirSource) Resume(files []string, _ map[string]int64) error {
	for _, f := range files {
		s.done[f] = true
	}
	return nil
}

// Close releases nothing; it exists to satisfy Source.
func (s *DirSource) Close() error { return nil }

var _ Source = (*DirSource)(nil)
