package tokenizer

import "container/heap"

// longWord is the pre-token length (bytes) from which Encode switches from
// the direct merge loop (quadratic, like encoder.py) to bpeHeap.
const longWord = 128

// bpeHeap gives the same result as bpe in O(n log n): symbols form a linked
// list and candidate pairs sit in a heap ordered by (rank, position).
// Popping equal ranks in position order and skipping stale pairs merges
// every occurrence of the lowest-ranked pair left to right, as bpe does; a
// pair created by a merge of rank r always has a rank above r (a merge can
// only use tokens that earlier merges created), so no newly created pair
// jumps ahead of the remaining occurrences.
func (t *Tokenizer) bpeHeap(word string) []int {
	n := len(word)
	sym := make([]int, n)
	next := make([]int, n)
	prev := make([]int, n)
	for i := 0; i < n; i++ {
		sym[i] = t.byteID[word[i]]
		next[i] = i + 1
		prev[i] = i - 1
	}
	next[n-1] = -1
	h := &pairHeap{}
	push := func(i int) {
		j := next[i]
		if i < 0 || j < 0 {
			return
		}
		if m, ok := t.merges[pairKey(sym[i], sym[j])]; ok {
			heap.Push(h, pairItem{rank: m.rank, pos: int32(i), a: int32(sym[i]), b: int32(sym[j]), res: m.result})
		}
	}
	for i := 0; i+1 < n; i++ {
		push(i)
	}
	alive := make([]bool, n)
	for i := range alive {
		alive[i] = true
	}
	for h.Len() > 0 {
		p := heap.Pop(h).(pairItem)
		i := int(p.pos)
		if !alive[i] || sym[i] != int(p.a) {
			continue
		}
		j := next[i]
		if j < 0 || sym[j] != int(p.b) {
			continue
		}
		sym[i] = int(p.res)
		alive[j] = false
		next[i] = next[j]
		if next[j] >= 0 {
			prev[next[j]] = i
		}
		if prev[i] >= 0 {
			push(prev[i])
		}
		push(i)
	}
	out := make([]int, 0, n/3+1)
	for i := 0; i >= 0; i = next[i] {
		out = append(out, sym[i])
	}
	return out
}

type pairItem struct {
	rank, pos, a, b, res int32
}

type pairHeap []pairItem

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].pos < h[j].pos
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pairItem)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
