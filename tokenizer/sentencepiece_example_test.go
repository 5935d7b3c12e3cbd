package tokenizer_test

import (
	"fmt"
	"strings"

	"lpz/tokenizer"
)

// A LLaMA-2 checkpoint directory holds tokenizer.json; this one is a small
// hand-written file of the same layout.
func ExampleLoadHF() {
	tok, err := tokenizer.LoadHF("testdata/llama_tiny")
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := tok.Encode("the café")
	pieces := make([]string, len(ids))
	for i, id := range ids {
		pieces[i] = tok.Token(id)
	}
	bos, _ := tok.BOS()
	fmt.Println(append([]int{bos}, ids...))
	fmt.Println(strings.Join(pieces, " "))
	fmt.Printf("%q of %d ids\n", tok.Decode(ids), tok.VocabSize())
	// Output:
	// [1 277 282 260 264 198 172]
	// ▁the ▁c a f <0xC3> <0xA9>
	// "the café" of 288 ids
}
