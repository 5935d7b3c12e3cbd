package gp

import (
	"container/list"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"sync/atomic"

	"lpz/interp"
	"lpz/lang"
	"lpz/stdlib"
	"lpz/tensor"
)

// Arch is one architecture of a problem: its inputs (capture channels and
// scalars), its ground truth and its stratum (for within-stratum ρ).
type Arch struct {
	ID      string
	Inputs  interp.Inputs
	Truth   float64
	Stratum string
}

// Problem is what the search optimises: rank correlation of a proxy's
// scores over Archs with their truth. It holds no models: everything is in
// memory, so the engine is testable on synthetic data.
type Problem struct {
	Archs          []Arch
	HigherIsBetter bool
	Terminals      []stdlib.Channel
	// Origin says where the inputs come from (benchmark, capture
	// settings): two problems with the same architectures captured
	// differently are different problems (checkpoints compare it).
	Origin string
}

// Fingerprint identifies the problem: its origin, architectures in order
// with their ground truth, and terminals.
func (p *Problem) Fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%v\n", p.Origin, p.HigherIsBetter)
	for _, a := range p.Archs {
		fmt.Fprintf(h, "%s %v\n", a.ID, a.Truth)
	}
	for _, t := range p.Terminals {
		fmt.Fprintf(h, "%s,", t.Name)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// Describe is the problem in words, for messages.
func (p *Problem) Describe() string {
	names := make([]string, len(p.Terminals))
	for i, t := range p.Terminals {
		names[i] = t.Name
	}
	ids := ""
	if len(p.Archs) > 0 {
		ids = fmt.Sprintf(" (%s … %s)", p.Archs[0].ID, p.Archs[len(p.Archs)-1].ID)
	}
	origin := ""
	if p.Origin != "" {
		origin = " of " + p.Origin
	}
	return fmt.Sprintf("%d architectures%s%s, terminals %s", len(p.Archs), ids, origin, strings.Join(names, ","))
}

// Bytes is the memory held by the problem's inputs.
func (p *Problem) Bytes() int64 {
	var n int64
	for _, a := range p.Archs {
		for _, v := range a.Inputs {
			n += v.Bytes()
		}
	}
	return n
}

// Release drops the inputs (ids, truth and strata stay): a problem whose
// search is over need not hold gigabytes of captures.
func (p *Problem) Release() {
	for i := range p.Archs {
		p.Archs[i].Inputs = nil
	}
}

// Key is the hash of a canonical tree: FNV-1a 64 of its canonical text.
func Key(e lang.Expr) uint64 {
	h := fnv.New64a()
	h.Write([]byte(lang.Print(e)))
	return h.Sum64()
}

// evaluator scores candidates over a list of architectures, memoising the
// per-architecture values of subtrees by canonical hash (children share
// most of their parents' subtrees).
type evaluator struct {
	table   *stdlib.Table
	archs   []Arch
	workers int
	memo    *memo // nil: no memoisation
	progs   sync.Map

	nodeEvals atomic.Int64 // op applications actually computed
	bytesRead atomic.Int64 // bytes of op inputs read by computed nodes
}

type enode struct {
	key  uint64
	expr lang.Expr
	op   string
	args []*enode
	ref  string
	num  float64
	lit  bool
	typ  lang.Type
}

func (ev *evaluator) build(c *lang.Checked, e lang.Expr) *enode {
	n := &enode{key: Key(e), expr: e, typ: c.Types[e]}
	switch x := e.(type) {
	case *lang.Call:
		n.op = x.Op
		for _, a := range x.Args {
			n.args = append(n.args, ev.build(c, a))
		}
	case *lang.Ref:
		n.ref = x.Name
	case *lang.Num:
		n.num = x.Value
	case *lang.Lit:
		n.lit = true
	}
	return n
}

// program returns the compiled one-op program op(a[, b]) for the argument
// types of n, cached.
func (ev *evaluator) program(n *enode) (*interp.Program, error) {
	var src string
	in := map[string]lang.Type{}
	var key string
	switch {
	case n.lit:
		src = lang.Print(n.expr)
		key = src
	default:
		names := []string{"a", "b", "c", "d"}
		src = n.op + "("
		key = n.op
		for i, a := range n.args {
			if i > 0 {
				src += ", "
			}
			src += names[i]
			in[names[i]] = a.typ
			key += "|" + a.typ.String()
		}
		src += ")"
	}
	if p, ok := ev.progs.Load(key); ok {
		return p.(*interp.Program), nil
	}
	p, err := interp.CompileSource(src, in, ev.table)
	if err != nil {
		return nil, err
	}
	ev.progs.Store(key, p)
	return p, nil
}

var argNames = []string{"a", "b", "c", "d"}

// value computes node n on architecture i.
func (ev *evaluator) value(ctx context.Context, n *enode, i int) (interp.Value, error) {
	switch {
	case n.ref != "":
		v, ok := ev.archs[i].Inputs[n.ref]
		if !ok {
			return interp.Value{}, &interp.RuntimeError{Pos: n.expr.Position(), Expr: n.ref, Msg: fmt.Sprintf("input %s is not loaded for %s", n.ref, ev.archs[i].ID)}
		}
		return v, nil
	case n.op == "" && !n.lit:
		return interp.ScalarValue(n.num), nil
	}
	if ev.memo != nil {
		if v, ok := ev.memo.get(n.key, i); ok {
			return v, nil
		}
	}
	if v, ok, err := ev.fused(ctx, n, i); ok || err != nil {
		if err == nil && ev.memo != nil {
			ev.memo.put(n.key, i, v)
		}
		return v, err
	}
	p, err := ev.program(n)
	if err != nil {
		return interp.Value{}, err
	}
	in := interp.Inputs{}
	var read int64
	for j, a := range n.args {
		v, err := ev.value(ctx, a, i)
		if err != nil {
			return interp.Value{}, err
		}
		in[argNames[j]] = v
		read += v.Bytes()
	}
	v, err := interp.Host{Workers: 1}.Eval(ctx, p, in)
	var nf *interp.NonFiniteError
	if err != nil && !errors.As(err, &nf) {
		return interp.Value{}, err
	}
	ev.nodeEvals.Add(1)
	ev.bytesRead.Add(read)
	if ev.memo != nil {
		ev.memo.put(n.key, i, v)
	}
	return v, nil
}

// archError is the failure of a candidate on one architecture.
type archError struct {
	reason string
	err    error
}

// scoreRange evaluates root on architectures [lo, hi) with the workers,
// writing scores[i]; errs[i] is set for failures.
func (ev *evaluator) scoreRange(ctx context.Context, root *enode, lo, hi int, scores []float64, errs []*archError) {
	one := func(i int) {
		v, err := ev.value(ctx, root, i)
		switch {
		case err != nil:
			reason := "runtime"
			if ctx.Err() != nil {
				reason = "cancelled"
			}
			errs[i] = &archError{reason, err}
		case v.Type.Kind != lang.Scalar:
			errs[i] = &archError{"type", fmt.Errorf("%s is a %s, not a scalar", root.expr, v.Type)}
		case !interp.IsFinite(v.Scalar):
			errs[i] = &archError{"nonfinite", &interp.NonFiniteError{Value: v.Scalar, Expr: lang.Print(root.expr)}}
		default:
			scores[i] = v.Scalar
		}
	}
	w := ev.workers
	if w <= 1 || hi-lo < 2 {
		for i := lo; i < hi; i++ {
			one(i)
		}
		return
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	next.Store(int64(lo))
	for k := 0; k < min(w, hi-lo); k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= hi {
					return
				}
				one(i)
			}
		}()
	}
	wg.Wait()
}

// firstError is the failure of the first failing architecture in order.
func firstError(errs []*archError, lo, hi int) *archError {
	for i := lo; i < hi; i++ {
		if errs[i] != nil {
			return errs[i]
		}
	}
	return nil
}

// memo is a bounded LRU of per-architecture subtree values.
type memo struct {
	tensors bool // keep expensive tensor-valued subtrees (see memoLeaf)
	mu      sync.Mutex
	budget  int64
	used    int64
	lru     *list.List
	items   map[memoKey]*list.Element
	hits    atomic.Int64
	misses  atomic.Int64
}

type memoKey struct {
	key  uint64
	arch int32
}

type memoItem struct {
	k    memoKey
	v    interp.Value
	size int64
}

func newMemo(budget int64) *memo {
	return &memo{budget: budget, lru: list.New(), items: map[memoKey]*list.Element{}}
}

func (m *memo) get(key uint64, arch int) (interp.Value, bool) {
	m.mu.Lock()
	el, ok := m.items[memoKey{key, int32(arch)}]
	if ok {
		m.lru.MoveToFront(el)
	}
	m.mu.Unlock()
	if !ok {
		m.misses.Add(1)
		return interp.Value{}, false
	}
	m.hits.Add(1)
	return el.Value.(*memoItem).v, true
}

func (m *memo) put(key uint64, arch int, v interp.Value) {
	size := v.Bytes() + 128
	if size > m.budget/4 {
		return
	}
	k := memoKey{key, int32(arch)}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[k]; ok {
		return
	}
	m.items[k] = m.lru.PushFront(&memoItem{k, v, size})
	m.used += size
	for m.used > m.budget {
		el := m.lru.Back()
		it := el.Value.(*memoItem)
		m.lru.Remove(el)
		delete(m.items, it.k)
		m.used -= it.size
	}
}

// errNoFuse makes fused fall back to op-by-op evaluation (a broadcast
// between different shapes, lists of different lengths: the interpreter
// handles or reports those).
var errNoFuse = errors.New("gp: not fusable")

// tensorKind reports whether t holds tensors.
func tensorKind(t lang.Type) bool { return t.Kind == lang.Tensor || t.Kind == lang.ListTensor }

// fusable reports whether n is computed entry by entry inside a fused
// reduction: an elementwise, normalisation or binary op of tensor type.
func (ev *evaluator) fusable(n *enode) (*stdlib.Op, bool) {
	if n.op == "" || !tensorKind(n.typ) {
		return nil, false
	}
	op, ok := ev.table.Lookup(n.op)
	if !ok {
		return nil, false
	}
	switch op.Class {
	case stdlib.Elementwise, stdlib.Normalization:
		return op, len(n.args) == 1 && tensorKind(n.args[0].typ)
	case stdlib.Binary:
		return op, len(n.args) == 2
	}
	return nil, false
}

// fused evaluates a reduction or aggregation of a tree of elementwise,
// normalisation and binary ops over tensors entry by entry, in reused
// scratch buffers, instead of materialising every intermediate list of
// tensors (fresh capture-sized allocations cost more than the arithmetic).
// It applies the op table's kernels exactly as the interpreter does, so the
// values are identical. ok is false when n is not such a node.
func (ev *evaluator) fused(ctx context.Context, n *enode, i int) (interp.Value, bool, error) {
	red, ok := ev.table.Lookup(n.op)
	if !ok || len(n.args) != 1 || (red.Class != stdlib.Reduction && red.Class != stdlib.Aggregation) {
		return interp.Value{}, false, nil
	}
	if _, ok := ev.fusable(n.args[0]); !ok {
		return interp.Value{}, false, nil
	}
	f := &fusion{ev: ev, ctx: ctx, arch: i, leaves: map[*enode]interp.Value{}}
	entries, err := f.collect(n.args[0])
	if err != nil {
		if errors.Is(err, errNoFuse) {
			return interp.Value{}, false, nil
		}
		return interp.Value{}, true, err
	}
	bs := scratch.Get().(*bufset)
	defer scratch.Put(bs)
	f.bufs = bs
	parts := make([]float64, max(entries, 1))
	for k := range parts {
		if k&7 == 0 {
			if err := ctx.Err(); err != nil {
				return interp.Value{}, true, err
			}
		}
		data, _, err := f.entry(n.args[0], k, 0)
		if err != nil {
			if errors.Is(err, errNoFuse) {
				return interp.Value{}, false, nil
			}
			return interp.Value{}, true, err
		}
		parts[k] = red.Reduce32(data)
	}
	ev.nodeEvals.Add(1)
	ev.bytesRead.Add(f.read)
	switch {
	case n.args[0].typ.Kind == lang.Tensor:
		return interp.ScalarValue(parts[0]), true, nil
	case red.Class == stdlib.Aggregation:
		return interp.ScalarValue(red.Reduce64(parts)), true, nil
	}
	return interp.Value{Type: lang.ListOf(lang.Scalar, n.args[0].typ.Family), Scalars: parts}, true, nil
}

// memoLeaf reports whether a fusable node is better computed on its own and
// memoised (its value then feeds the fused tree as a leaf): an expensive op
// (cost ≥ 2: exp, softmax, logsoftmax) whose values other candidates are
// likely to share — the population keeps recombining the same branches.
func (ev *evaluator) memoLeaf(op *stdlib.Op, n *enode) bool {
	return ev.memo != nil && ev.memo.tensors && op.Cost >= 2 && op.Class != stdlib.Binary
}

type fusion struct {
	ev     *evaluator
	ctx    context.Context
	arch   int
	leaves map[*enode]interp.Value
	bufs   *bufset
	read   int64
}

// collect evaluates the leaves of a fused tree (memoised values) and
// returns the number of list entries (0 for a plain tensor).
func (f *fusion) collect(n *enode) (int, error) {
	if op, ok := f.ev.fusable(n); ok && !f.ev.memoLeaf(op, n) {
		entries := 0
		for _, a := range n.args {
			e, err := f.collect(a)
			if err != nil {
				return 0, err
			}
			if e > 0 && entries > 0 && e != entries {
				return 0, errNoFuse
			}
			entries = max(entries, e)
		}
		return entries, nil
	}
	v, err := f.ev.value(f.ctx, n, f.arch)
	if err != nil {
		return 0, err
	}
	f.leaves[n] = v
	if v.Type.IsList() {
		if v.Len() == 0 {
			// An empty list (a FlexiBERT without attention has no A): the
			// interpreter defines what a reduction of nothing is.
			return 0, errNoFuse
		}
		return v.Len(), nil
	}
	return 0, nil
}

// entry computes entry k of a tensor-typed node into buffer depth (or
// returns a read-only view of an input), with its shape.
func (f *fusion) entry(n *enode, k, depth int) ([]float32, []int, error) {
	if v, ok := f.leaves[n]; ok {
		var t *tensor.Tensor
		switch v.Type.Kind {
		case lang.Tensor:
			t = v.Tensor
		case lang.ListTensor:
			t = v.Tensors[k]
		default:
			return nil, nil, errNoFuse
		}
		f.read += int64(4 * len(t.Data))
		return t.Data, t.Shape, nil
	}
	op, _ := f.ev.fusable(n)
	if op.Class != stdlib.Binary {
		src, shape, err := f.entry(n.args[0], k, depth)
		if err != nil {
			return nil, nil, err
		}
		buf := f.bufs.get(depth, len(src))
		if op.Class == stdlib.Elementwise {
			op.F32(buf, src)
		} else {
			op.Norm32(buf, src)
		}
		return buf, shape, nil
	}
	fn := op.F2
	a, b := n.args[0], n.args[1]
	switch {
	case !tensorKind(a.typ):
		x := f.scalarEntry(a, k)
		src, shape, err := f.entry(b, k, depth)
		if err != nil {
			return nil, nil, err
		}
		buf := f.bufs.get(depth, len(src))
		for j, y := range src {
			buf[j] = float32(fn(x, float64(y)))
		}
		return buf, shape, nil
	case !tensorKind(b.typ):
		y := f.scalarEntry(b, k)
		src, shape, err := f.entry(a, k, depth)
		if err != nil {
			return nil, nil, err
		}
		buf := f.bufs.get(depth, len(src))
		for j, x := range src {
			buf[j] = float32(fn(float64(x), y))
		}
		return buf, shape, nil
	}
	as, ashape, err := f.entry(a, k, depth)
	if err != nil {
		return nil, nil, err
	}
	bs, bshape, err := f.entry(b, k, depth+1)
	if err != nil {
		return nil, nil, err
	}
	if !sameShape(ashape, bshape) {
		return nil, nil, errNoFuse
	}
	buf := f.bufs.get(depth, len(as))
	bs = bs[:len(as)]
	for j, x := range as {
		buf[j] = float32(fn(float64(x), float64(bs[j])))
	}
	return buf, ashape, nil
}

func (f *fusion) scalarEntry(n *enode, k int) float64 {
	v := f.leaves[n]
	if v.Type.Kind == lang.ListScalar {
		return v.Scalars[k]
	}
	return v.Scalar
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// bufset holds one scratch buffer per depth of a fused tree.
type bufset struct{ b [][]float32 }

func (s *bufset) get(depth, n int) []float32 {
	for len(s.b) <= depth {
		s.b = append(s.b, nil)
	}
	if cap(s.b[depth]) < n {
		s.b[depth] = make([]float32, n)
	}
	return s.b[depth][:n]
}

var scratch = sync.Pool{New: func() any { return &bufset{} }}
