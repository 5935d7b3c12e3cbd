package mctask_test

import (
	"fmt"
	"strings"

	"lpz/mctask"
)

func ExampleParseJSONL() {
	const jsonl = `{"id":"sky","context":"The clear sky at noon is","choices":[" blue"," green"],"answer":0}
{"id":"ice","context":"Water freezes into","choices":[" steam"," ice"," sand"],"answer":1}`
	task, err := mctask.ParseJSONL(strings.NewReader(jsonl), "demo")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range task.Requests() {
		fmt.Printf("%q + %q\n", r.Context, r.Continuation)
	}
	// A model's log-likelihoods, one per request. Per character, the longer
	// " green" scores better than " blue", so acc_norm misses the sky.
	res, err := task.Score([]float64{-4.1, -4.3, -6, -2, -7})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s (%s): acc %.2f acc_norm %.2f %v\n", task.Name, task.Format, res.Acc, res.AccNorm, res.Correct)
	// Output:
	// "The clear sky at noon is" + " blue"
	// "The clear sky at noon is" + " green"
	// "Water freezes into" + " steam"
	// "Water freezes into" + " ice"
	// "Water freezes into" + " sand"
	// demo (lpz): acc 1.00 acc_norm 0.50 [true true]
}

func ExampleContinuation() {
	text := []byte("The river rose all night. By morning the bridge was gone, " +
		"and the village on the far bank could be reached only by boat. " +
		"Farmers moved their animals to the hill and waited for the water to fall.")
	task, err := mctask.Continuation(text, 2, 30, 12, 4, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(task.Name, len(task.Requests()), "requests")
	for _, it := range task.Items {
		fmt.Printf("%q → %q\n", it.Contexts[0], it.Continuations[it.Answer])
	}
	// Output:
	// cont4 8 requests
	// "ge on the far bank could be re" → "ached only b"
	// "e bridge was gone, and the vil" → "lage on the "
}
