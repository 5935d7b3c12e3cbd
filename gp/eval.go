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
	"lpz/parallel"
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
func Key(e lang.Expr) uint64 { return keyOf(lang.Print(e)) }

func keyOf(text string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(text))
	return h.Sum64()
}

// evaluator scores candidates over a list of architectures, memoising the
// per-architecture values of subtrees by canonical hash (children share
// most of their parents' subtrees). It applies the op table's operators
// through the interpreter's kernels (interp.Host.Apply) node by node, or
// fuses a reduction of elementwise work (fused).
type evaluator struct {
	table   *stdlib.Table
	archs   []Arch
	workers int
	memo    *memo // nil: no memoisation

	nodeEvals atomic.Int64 // op applications actually computed
	bytesRead atomic.Int64 // bytes of op inputs read by computed nodes
}

type enodeKind int

const (
	enInput enodeKind = iota
	enNum
	enLit
	enCall
)

type enode struct {
	kind enodeKind
	key  uint64
	expr lang.Expr
	text string // canonical source: the memo key's, and errors'
	typ  lang.Type
	ref  string       // enInput
	num  float64      // enNum
	lit  interp.Value // enLit
	op   *stdlib.Op   // enCall; nil for an operator the table lacks
	args []*enode
}

func (ev *evaluator) build(c *lang.Checked, e lang.Expr) *enode {
	text := lang.Print(e)
	n := &enode{key: keyOf(text), expr: e, text: text, typ: c.Types[e]}
	switch x := e.(type) {
	case *lang.Call:
		n.kind = enCall
		n.op, _ = ev.table.Lookup(x.Op)
		for _, a := range x.Args {
			n.args = append(n.args, ev.build(c, a))
		}
	case *lang.Ref:
		n.kind, n.ref = enInput, x.Name
	case *lang.Num:
		n.kind, n.num = enNum, x.Value
	case *lang.Lit:
		n.kind, n.lit = enLit, interp.LiteralValue(x)
	}
	return n
}

// value computes node n on architecture i.
func (ev *evaluator) value(ctx context.Context, n *enode, i int) (interp.Value, error) {
	switch n.kind {
	case enInput:
		v, ok := ev.archs[i].Inputs[n.ref]
		if !ok {
			return interp.Value{}, &interp.RuntimeError{Pos: n.expr.Position(), Expr: n.ref, Msg: fmt.Sprintf("input %s is not loaded for %s", n.ref, ev.archs[i].ID)}
		}
		return v, nil
	case enNum:
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
	v, read, err := ev.apply(ctx, n, i)
	if err != nil {
		return interp.Value{}, err
	}
	ev.nodeEvals.Add(1)
	ev.bytesRead.Add(read)
	if ev.memo != nil {
		ev.memo.put(n.key, i, v)
	}
	return v, nil
}

// apply computes a literal or an op node from its arguments' values with
// the interpreter's kernels, and reports the bytes of arguments it read.
func (ev *evaluator) apply(ctx context.Context, n *enode, i int) (interp.Value, int64, error) {
	if n.kind == enLit {
		return n.lit, 0, nil
	}
	fail := func(format string, args ...any) (interp.Value, int64, error) {
		return interp.Value{}, 0, &interp.RuntimeError{Pos: n.expr.Position(), Expr: n.text, Msg: fmt.Sprintf(format, args...)}
	}
	args := make([]interp.Value, len(n.args))
	var read int64
	for j, a := range n.args {
		v, err := ev.value(ctx, a, i)
		if err != nil {
			return interp.Value{}, 0, err
		}
		args[j] = v
		read += v.Bytes()
	}
	for j, a := range n.args {
		if args[j].Type.Kind != a.typ.Kind { // as the interpreter at its inputs
			return fail("%s is a %s here but was checked as %s", a.text, args[j].Type, a.typ)
		}
	}
	switch {
	case n.op == nil:
		return fail("unknown operator")
	case n.op.Class.ConstArg():
		// The search does not evaluate an op that takes a constant
		// argument (pow, amax): the generator does not draw them (they are
		// NoSearch), and a seed holding one fails as a runtime error, as
		// it did when this evaluator compiled op(a, b) and handed the
		// constant over as the input b, which the interpreter refuses.
		// Evaluating them would change which seeds enter a seeded search,
		// and so its results: a decision for the search's vocabulary
		// (stdlib's NoSearch), made there, not here.
		return fail("the search does not evaluate %s, whose second argument is a constant", n.op.Name)
	}
	v, err := interp.Host{Workers: 1}.Apply(ctx, n.op, args, n.expr.Position(), n.text)
	return v, read, err
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
	// Each architecture's own evaluation notices a cancellation (and says
	// so in its error), so every index runs: none is left without a score
	// or an error.
	parallel.For(context.Background(), hi-lo, parallel.Options{Workers: ev.workers, KeepGoing: true}, func(k int) error {
		one(lo + k)
		return nil
	})
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
func fusable(n *enode) (*stdlib.Op, bool) {
	op := n.op
	if op == nil || !tensorKind(n.typ) {
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
// It applies the op table's kernels and the interpreter's loop of the
// binary ops (interp.BinaryInto) as the interpreter does, so the values
// are identical. ok is false when n is not such a node.
func (ev *evaluator) fused(ctx context.Context, n *enode, i int) (interp.Value, bool, error) {
	red := n.op
	if red == nil || len(n.args) != 1 || (red.Class != stdlib.Reduction && red.Class != stdlib.Aggregation) {
		return interp.Value{}, false, nil
	}
	if _, ok := fusable(n.args[0]); !ok {
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
		t, err := f.entry(n.args[0], k, 0)
		if err != nil {
			if errors.Is(err, errNoFuse) {
				return interp.Value{}, false, nil
			}
			return interp.Value{}, true, err
		}
		parts[k] = red.Reduce32(t.Data)
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
func (ev *evaluator) memoLeaf(op *stdlib.Op) bool {
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
	if op, ok := fusable(n); ok && !f.ev.memoLeaf(op) {
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
// returns a read-only view of an input).
func (f *fusion) entry(n *enode, k, depth int) (tensor.Tensor, error) {
	if v, ok := f.leaves[n]; ok {
		var t *tensor.Tensor
		switch v.Type.Kind {
		case lang.Tensor:
			t = v.Tensor
		case lang.ListTensor:
			t = v.Tensors[k]
		default:
			return tensor.Tensor{}, errNoFuse
		}
		f.read += int64(4 * len(t.Data))
		return *t, nil
	}
	op, _ := fusable(n)
	if op.Class != stdlib.Binary {
		src, err := f.entry(n.args[0], k, depth)
		if err != nil {
			return tensor.Tensor{}, err
		}
		buf := f.bufs.get(depth, len(src.Data))
		if op.Class == stdlib.Elementwise {
			op.F32(buf, src.Data)
		} else {
			op.Norm32(buf, src.Data)
		}
		return tensor.Tensor{Shape: src.Shape, Data: buf}, nil
	}
	// The left operand goes to buffer depth, the right one to depth+1,
	// and the result over the left one: BinaryInto reads each element
	// before it writes it.
	a, b := n.args[0], n.args[1]
	var x, y interp.Operand
	var xt, yt tensor.Tensor
	var err error
	if tensorKind(a.typ) {
		xt, err = f.entry(a, k, depth)
		x.Tensor = &xt
	} else {
		x.Scalar = f.scalarEntry(a, k)
	}
	if err != nil {
		return tensor.Tensor{}, err
	}
	if tensorKind(b.typ) {
		d := depth
		if x.Tensor != nil {
			d = depth + 1
		}
		yt, err = f.entry(b, k, d)
		y.Tensor = &yt
	} else {
		y.Scalar = f.scalarEntry(b, k)
	}
	if err != nil {
		return tensor.Tensor{}, err
	}
	if !interp.OneToOne(x, y) {
		return tensor.Tensor{}, errNoFuse
	}
	like := x.Tensor
	if like == nil {
		like = y.Tensor
	}
	if like == nil {
		return tensor.Tensor{}, errNoFuse // two numbers: not a tensor node
	}
	buf := f.bufs.get(depth, len(like.Data))
	interp.BinaryInto(buf, op.F2, x, y)
	return tensor.Tensor{Shape: like.Shape, Data: buf}, nil
}

func (f *fusion) scalarEntry(n *enode, k int) float64 {
	v := f.leaves[n]
	if v.Type.Kind == lang.ListScalar {
		return v.Scalars[k]
	}
	return v.Scalar
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
