package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"brook/value"
)

// A checkpoint record is the binary form of what changed in a query since
// the previous record (or, for a full record, of its whole state). Its
// layout, all integers little-endian or varints (encoding/binary):
//
//	flags     byte: bit 0 set for a full record, bit 1 when the globals
//	          end with the latest event times of the source's parts
//	globals   varint rows in; watermark, max time, max closed end as
//	          float64 bits (8 bytes each); varint late, no-time counts;
//	          uvarint late windows, each start, end, uvarint n keys, keys,
//	          varint rows; then six row lists (best rows and their keys,
//	          kept rows and their ORDER BY keys, closed windows' rows and
//	          keys), each uvarint 1+n (0: none) rows of uvarint n values;
//	          with flag bit 1, uvarint n parts, each varint part number
//	          and float64 bits of its latest event time
//	evicted   uvarint n, then n uvarint group ids released
//	groups    uvarint n, then per group: uvarint id, byte born; when born,
//	          uvarint n keys and the keys; window start and last (float64
//	          bits), varint first and last integer times; each aggregate's
//	          state (appendState) except COUNT(DISTINCT)'s for a group not
//	          born: its new values follow
//	distinct  per COUNT(DISTINCT) aggregate, in order: uvarint length of a
//	          list of (uint32 group id, uvarint length, bytes) values new
//	          to groups that existed at the previous record
//
// A value is a type byte, varint I, float64 bits of F and uvarint length
// and bytes of S: every field, so that nothing is lost (-0.0, NaN
// payloads, any string). Group ids are those of the writing process;
// Replay maps them.

// codec is an aggregate whose per-group state has a binary form.
type codec interface {
	// appendState appends group g's state to dst.
	appendState(dst []byte, g int32) []byte
	// readState reads a state appendState wrote into group g and returns
	// the rest of src.
	readState(src []byte, g int32) ([]byte, error)
}

var (
	_ codec = (*countStar)(nil)
	_ codec = (*count)(nil)
	_ codec = (*countDistinct)(nil)
	_ codec = (*sumFloat)(nil)
	_ codec = (*sumInt)(nil)
	_ codec = (*avg)(nil)
	_ codec = (*extremum)(nil)
)

// errShort is a record that ends too early.
var errShort = errors.New("record ends too early")

func readUvarint(src []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(src)
	if n <= 0 {
		return 0, nil, errShort
	}
	return v, src[n:], nil
}

func readVarint(src []byte) (int64, []byte, error) {
	v, n := binary.Varint(src)
	if n <= 0 {
		return 0, nil, errShort
	}
	return v, src[n:], nil
}

func readUint64(src []byte) (uint64, []byte, error) {
	if len(src) < 8 {
		return 0, nil, errShort
	}
	return binary.LittleEndian.Uint64(src), src[8:], nil
}

func readFloat(src []byte) (float64, []byte, error) {
	b, src, err := readUint64(src)
	return math.Float64frombits(b), src, err
}

func appendFloat(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func readBool(src []byte) (bool, []byte, error) {
	if len(src) < 1 || src[0] > 1 {
		return false, nil, errShort
	}
	return src[0] == 1, src[1:], nil
}

// readCount reads a count of items that each take at least one byte.
func readCount(src []byte) (int, []byte, error) {
	n, src, err := readUvarint(src)
	if err == nil && n > uint64(len(src)) {
		err = errShort
	}
	return int(n), src, err
}

func readString(src []byte) (string, []byte, error) {
	n, src, err := readCount(src)
	if err != nil {
		return "", nil, err
	}
	return string(src[:n]), src[n:], nil
}

// appendValue writes every field of v.
func appendValue(dst []byte, v value.Value) []byte {
	dst = append(dst, byte(v.Kind))
	dst = binary.AppendVarint(dst, v.I)
	dst = appendFloat(dst, v.F)
	dst = binary.AppendUvarint(dst, uint64(len(v.S)))
	return append(dst, v.S...)
}

func readValue(src []byte) (value.Value, []byte, error) {
	var v value.Value
	var err error
	if len(src) < 1 {
		return v, nil, errShort
	}
	v.Kind, src = value.Type(src[0]), src[1:]
	if v.I, src, err = readVarint(src); err != nil {
		return v, nil, err
	}
	if v.F, src, err = readFloat(src); err != nil {
		return v, nil, err
	}
	v.S, src, err = readString(src)
	return v, src, err
}

func appendValues(dst []byte, vs []value.Value) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(vs)))
	for _, v := range vs {
		dst = appendValue(dst, v)
	}
	return dst
}

func readValues(src []byte) ([]value.Value, []byte, error) {
	n, src, err := readCount(src)
	if err != nil {
		return nil, nil, err
	}
	vs := make([]value.Value, n)
	for i := range vs {
		if vs[i], src, err = readValue(src); err != nil {
			return nil, nil, err
		}
	}
	return vs, src, nil
}

func appendRows(dst []byte, rows [][]value.Value) []byte {
	if rows == nil {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(rows))+1)
	for _, r := range rows {
		dst = appendValues(dst, r)
	}
	return dst
}

func readRows(src []byte) ([][]value.Value, []byte, error) {
	n, src, err := readCount(src)
	if err != nil || n == 0 {
		return nil, src, err
	}
	rows := make([][]value.Value, n-1)
	for i := range rows {
		if rows[i], src, err = readValues(src); err != nil {
			return nil, nil, err
		}
	}
	return rows, src, nil
}

// changeLog tracks, between two checkpoint records, the groups batches
// touched or created and those they released, cheaply: a group is noted
// once per record, by its mark.
type changeLog struct {
	epoch   uint32   // the record being gathered; starts at 1
	mark    []uint32 // per group, the epoch it was last noted in
	bornAt  []uint32 // per group, the epoch it was created in
	dirty   []int32  // groups noted in this epoch
	evicted []int32  // groups released in this epoch
	added   [][]byte // per COUNT(DISTINCT) aggregate, its journal
	ids     []int32  // AppendRecord's scratch
}

func (l *changeLog) grow(id int32) {
	if int(id) >= len(l.mark) {
		l.mark = grow(l.mark, int(id)+1)
		l.bornAt = grow(l.bornAt, int(id)+1)
	}
}

// note records that ids changed.
func (l *changeLog) note(ids []int32) {
	for _, id := range ids {
		l.grow(id)
		if l.mark[id] != l.epoch {
			l.mark[id] = l.epoch
			l.dirty = append(l.dirty, id)
		}
	}
}

// born records that group id was created (or its slot reused).
func (l *changeLog) born(id int32) {
	l.grow(id)
	l.bornAt[id] = l.epoch
	l.note([]int32{id})
}

// StartLog makes the query track what each batch changes, for
// AppendRecord; the next record should be a full one.
func (q *Query) StartLog() {
	g := q.groups
	if g == nil || g.log != nil {
		return
	}
	g.log = &changeLog{epoch: 1, added: make([][]byte, distinctIndex(g, len(g.aggs)))}
	for i, a := range g.aggs {
		if cd, ok := a.(*countDistinct); ok {
			cd.added = &g.log.added[distinctIndex(g, i)]
		}
	}
}

// AppendRecord appends to dst the checkpoint record of what changed since
// the previous record (the whole state when full, or when StartLog was not
// called) and starts gathering the next one.
func (q *Query) AppendRecord(dst []byte, full bool) ([]byte, error) {
	g := q.groups
	if g != nil && g.log == nil {
		full = true
	}
	glob := q.globals()
	flags := byte(0)
	if full {
		flags = 1
	}
	if len(glob.PartMax) > 0 {
		flags |= 2
	}
	dst = append(dst, flags)
	dst = appendGlobals(dst, glob)
	if g == nil {
		return append(dst, 0, 0), nil
	}
	for _, a := range g.aggs {
		if _, ok := a.(codec); !ok {
			return nil, fmt.Errorf("engine: aggregate %T cannot be checkpointed", a)
		}
	}
	l := g.log
	if l != nil {
		l.note(g.dirty)
	}
	born := func(id int32) bool { return full || l.bornAt[id] == l.epoch }
	var ids []int32
	if l != nil {
		ids = l.ids[:0]
		defer func() { l.ids = ids[:0] }()
	}
	if full {
		dst = append(dst, 0)
		ids = g.ids()
	} else {
		dst = binary.AppendUvarint(dst, uint64(len(l.evicted)))
		for _, id := range l.evicted {
			dst = binary.AppendUvarint(dst, uint64(id))
		}
		for _, id := range l.dirty {
			if g.live[id] {
				ids = append(ids, id)
			}
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(ids)))
	for _, id := range ids {
		dst = binary.AppendUvarint(dst, uint64(id))
		b := born(id)
		dst = appendBool(dst, b)
		if b {
			dst = appendValues(dst, g.keys[id])
		}
		if w := g.win; w != nil {
			dst = appendFloat(appendFloat(dst, w.start[id]), w.last[id])
			var is, il int64
			if w.intTime {
				is, il = w.istart[id], w.ilast[id]
			}
			dst = binary.AppendVarint(binary.AppendVarint(dst, is), il)
		}
		for _, a := range g.aggs {
			if _, distinct := a.(*countDistinct); distinct && !b {
				continue
			}
			dst = a.(codec).appendState(dst, id)
		}
	}
	for i := range g.aggs {
		if _, ok := g.aggs[i].(*countDistinct); !ok {
			continue
		}
		if full {
			dst = append(dst, 0)
			continue
		}
		// The values of groups still there and not created since the last
		// record (those have their whole set above): sized, then copied.
		journal := l.added[distinctIndex(g, i)]
		keep := func(visit func(entry []byte)) {
			for j := journal; len(j) > 0; {
				id := int32(binary.LittleEndian.Uint32(j))
				n, m := binary.Uvarint(j[4:])
				end := 4 + m + int(n)
				// A group created before the log started (restored, or a
				// global aggregate's one row) has no mark: not born now.
				if g.live[id] && (int(id) >= len(l.bornAt) || l.bornAt[id] != l.epoch) {
					visit(j[:end])
				}
				j = j[end:]
			}
		}
		size := 0
		keep(func(e []byte) { size += len(e) })
		dst = binary.AppendUvarint(dst, uint64(size))
		dst = slices.Grow(dst, size)
		keep(func(e []byte) { dst = append(dst, e...) })
	}
	if l != nil {
		l.epoch++
		l.dirty, l.evicted = l.dirty[:0], l.evicted[:0]
		for i := range l.added {
			l.added[i] = l.added[i][:0]
		}
	}
	return dst, nil
}

// distinctIndex is the place of aggregate i among the COUNT(DISTINCT)s.
func distinctIndex(g *groupTable, i int) int {
	n := 0
	for _, a := range g.aggs[:i] {
		if _, ok := a.(*countDistinct); ok {
			n++
		}
	}
	return n
}

func appendGlobals(dst []byte, s *Snapshot) []byte {
	dst = binary.AppendVarint(dst, s.RowsIn)
	dst = appendFloat(appendFloat(appendFloat(dst, s.Watermark), s.MaxTime), s.MaxClosed)
	dst = binary.AppendVarint(binary.AppendVarint(dst, s.Late), s.NoTime)
	dst = binary.AppendUvarint(dst, uint64(len(s.LateWins)))
	for _, lw := range s.LateWins {
		dst = appendValue(appendValue(dst, lw.Start), lw.End)
		dst = appendValues(dst, lw.Keys)
		dst = binary.AppendVarint(dst, lw.Rows)
	}
	for _, rows := range [][][]value.Value{s.Top, s.TopKeys, s.Final, s.FinalKeys, s.Closed, s.ClosedKey} {
		dst = appendRows(dst, rows)
	}
	if len(s.PartMax) > 0 {
		parts := make([]int32, 0, len(s.PartMax))
		for p := range s.PartMax {
			parts = append(parts, p)
		}
		slices.Sort(parts)
		dst = binary.AppendUvarint(dst, uint64(len(parts)))
		for _, p := range parts {
			dst = appendFloat(binary.AppendVarint(dst, int64(p)), s.PartMax[p])
		}
	}
	return dst
}

func readGlobals(src []byte, s *Snapshot, parts bool) ([]byte, error) {
	var err error
	if s.RowsIn, src, err = readVarint(src); err != nil {
		return nil, err
	}
	for _, f := range []*float64{&s.Watermark, &s.MaxTime, &s.MaxClosed} {
		if *f, src, err = readFloat(src); err != nil {
			return nil, err
		}
	}
	for _, n := range []*int64{&s.Late, &s.NoTime} {
		if *n, src, err = readVarint(src); err != nil {
			return nil, err
		}
	}
	n, src, err := readCount(src)
	if err != nil {
		return nil, err
	}
	s.LateWins = make([]LateWindow, n)
	for i := range s.LateWins {
		lw := &s.LateWins[i]
		if lw.Start, src, err = readValue(src); err != nil {
			return nil, err
		}
		if lw.End, src, err = readValue(src); err != nil {
			return nil, err
		}
		if lw.Keys, src, err = readValues(src); err != nil {
			return nil, err
		}
		if lw.Rows, src, err = readVarint(src); err != nil {
			return nil, err
		}
	}
	for _, rows := range []*[][]value.Value{&s.Top, &s.TopKeys, &s.Final, &s.FinalKeys, &s.Closed, &s.ClosedKey} {
		if *rows, src, err = readRows(src); err != nil {
			return nil, err
		}
	}
	if !parts {
		return src, nil
	}
	if n, src, err = readCount(src); err != nil {
		return nil, err
	}
	s.PartMax = make(map[int32]float64, n)
	for ; n > 0; n-- {
		var p int64
		var t float64
		if p, src, err = readVarint(src); err != nil {
			return nil, err
		}
		if t, src, err = readFloat(src); err != nil {
			return nil, err
		}
		if p < math.MinInt32 || p > math.MaxInt32 {
			return nil, fmt.Errorf("part number %d out of range", p)
		}
		s.PartMax[int32(p)] = t
	}
	return src, nil
}

// Replay rebuilds a query's state from a full checkpoint record and the
// records written after it, in order; Snapshot then gives the state to
// Restore into a new query.
type Replay struct {
	plan     *Query // a query of the same plan, for the shape of the state
	aggs     []Aggregate
	win      bool
	live     []bool
	keys     [][]value.Value
	start    []float64
	last     []float64
	istart   []int64
	ilast    []int64
	glob     Snapshot
	nKeys    int
	distinct []int // the places of the COUNT(DISTINCT) aggregates
	grouped  bool  // the query has groups (SELECT DISTINCT has no aggregates)
}

// NewReplay returns an empty Replay for the state of queries like q.
func NewReplay(q *Query) (*Replay, error) {
	r := &Replay{plan: q}
	if g := q.groups; g != nil {
		r.grouped, r.win, r.nKeys = true, g.win != nil, len(g.keyFns)
		for i, call := range q.plan.Aggs {
			a, err := newAggregate(call, &evalState{})
			if err != nil {
				return nil, err
			}
			if _, ok := a.(*countDistinct); ok {
				r.distinct = append(r.distinct, i)
			}
			r.aggs = append(r.aggs, a)
		}
	}
	return r, nil
}

func (r *Replay) growTo(n int) {
	if n <= len(r.live) {
		return
	}
	r.live, r.keys = grow(r.live, n), grow(r.keys, n)
	r.start, r.last, r.istart, r.ilast = grow(r.start, n), grow(r.last, n), grow(r.istart, n), grow(r.ilast, n)
	for _, a := range r.aggs {
		a.Grow(n)
	}
}

func (r *Replay) drop(id int32) {
	r.live[id], r.keys[id] = false, nil
	for _, a := range r.aggs {
		a.Reset(id)
	}
}

// maxGroups bounds the group ids a record may name (a damaged record
// must not make Replay allocate without end).
const maxGroups = 1 << 31

// Apply replays one record. A full record replaces all state.
func (r *Replay) Apply(rec []byte) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("damaged record: %w", err)
		}
	}()
	if len(rec) < 1 || rec[0] > 3 {
		return errShort
	}
	full := rec[0]&1 == 1
	src := rec[1:]
	if full {
		for id, ok := range r.live {
			if ok {
				r.drop(int32(id))
			}
		}
	}
	var glob Snapshot
	if src, err = readGlobals(src, &glob, rec[0]&2 != 0); err != nil {
		return err
	}
	r.glob = glob
	n, src, err := readCount(src)
	if err != nil {
		return err
	}
	for ; n > 0; n-- {
		var id uint64
		if id, src, err = readUvarint(src); err != nil {
			return err
		}
		if id < uint64(len(r.live)) && r.live[id] {
			r.drop(int32(id))
		}
	}
	if n, src, err = readCount(src); err != nil {
		return err
	}
	if n > 0 && !r.grouped {
		return fmt.Errorf("groups for a query without groups")
	}
	for ; n > 0; n-- {
		var id uint64
		var born bool
		if id, src, err = readUvarint(src); err != nil {
			return err
		}
		if id >= maxGroups || id > uint64(2*len(r.live)+len(rec)) {
			return fmt.Errorf("group id %d out of range", id)
		}
		if born, src, err = readBool(src); err != nil {
			return err
		}
		r.growTo(int(id) + 1)
		if born {
			if r.live[id] {
				r.drop(int32(id))
			}
			if r.keys[id], src, err = readValues(src); err != nil {
				return err
			}
			if len(r.keys[id]) != r.nKeys {
				return fmt.Errorf("group %d has %d keys, the query %d", id, len(r.keys[id]), r.nKeys)
			}
			r.live[id] = true
		} else if !r.live[id] {
			return fmt.Errorf("change to group %d, which does not exist", id)
		}
		if r.win {
			if r.start[id], src, err = readFloat(src); err != nil {
				return err
			}
			if r.last[id], src, err = readFloat(src); err != nil {
				return err
			}
			if r.istart[id], src, err = readVarint(src); err != nil {
				return err
			}
			if r.ilast[id], src, err = readVarint(src); err != nil {
				return err
			}
		}
		for _, a := range r.aggs {
			if _, distinct := a.(*countDistinct); distinct && !born {
				continue
			}
			if src, err = a.(codec).readState(src, int32(id)); err != nil {
				return err
			}
		}
	}
	for _, i := range r.distinct {
		var j []byte
		var m int
		if m, src, err = readCount(src); err != nil {
			return err
		}
		j, src = src[:m], src[m:]
		cd := r.aggs[i].(*countDistinct)
		for len(j) > 0 {
			if len(j) < 4 {
				return errShort
			}
			id := binary.LittleEndian.Uint32(j)
			var k string
			if k, j, err = readString(j[4:]); err != nil {
				return err
			}
			if int(id) >= len(r.live) || !r.live[id] {
				return fmt.Errorf("new value for group %d, which does not exist", id)
			}
			cd.sets[id].add(k)
		}
	}
	if len(src) != 0 {
		return fmt.Errorf("%d bytes left over", len(src))
	}
	return nil
}

// Snapshot returns the replayed state, groups in the order of their ids
// in the writing process (the order its own Snapshot lists them in).
func (r *Replay) Snapshot() *Snapshot {
	s := r.glob
	s.Groups = nil
	for id, ok := range r.live {
		if !ok {
			continue
		}
		gs := GroupState{Keys: r.keys[id]}
		if r.win {
			gs.Start, gs.Last, gs.IStart, gs.ILast = r.start[id], r.last[id], r.istart[id], r.ilast[id]
		}
		for _, a := range r.aggs {
			gs.Aggs = append(gs.Aggs, a.(stateful).state(int32(id)))
		}
		s.Groups = append(s.Groups, gs)
	}
	return &s
}
