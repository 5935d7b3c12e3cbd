// Package mctask scores a language model on multiple-choice tasks by
// comparing its log-likelihood of each choice, as lm-evaluation-harness
// (lm-eval) does.
//
// # Formats
//
// [ReadJSONL] and [ParseJSONL] read one JSON object per line (blank lines
// skipped) and read each benchmark's own files unchanged. The first
// record's fields pick the format (the first row of the table whose key
// fields, marked *, it has); every record must then hold that format's
// fields, and other fields are ignored. Contexts and continuations are
// lm-eval's zero-shot prompts; "{x}" is field x.
//
//	format      fields                                 context                                  continuations
//	lpz         context*, choices*[], answer           {context}                                each choice as written
//	hellaswag   endings*[], label, ctx_a+ctx_b or      {activity_label}: {ctx_a} {Ctx_b}        " {ending}"
//	            ctx, activity_label (optional)         (or {ctx}), cleaned
//	piqa        goal*, sol1*, sol2*, label             Question: {goal}\nAnswer:                " {sol1}", " {sol2}"
//	winogrande  sentence*, option1*, option2*,         sentence up to "_", with option_i        " {text after "_"}"
//	            answer "1" or "2"                      (one context per choice)                 (shared, stripped)
//	openbookqa  question_stem*, choices*{text[],       {question_stem}                          " {text}"
//	            label[]}, answerKey
//	boolq       question*, passage*, answer (bool)     {passage}\nQuestion: {question}?\nAnswer:  " no", " yes"
//	            or label (bool or 0/1)
//	arc         question*, choices*{text[], label[]},  Question: {question}\nAnswer:            " {text}"
//	            answerKey
//
// lpz's own format is the one to write by hand:
//
//	{"id": "sky-1", "context": "The clear sky at noon is", "choices": [" blue", " green"], "answer": 0}
//
// Its answer is the 0-based index of the correct choice and "id" is
// optional. Choices are continuations exactly as written, so put any space
// that separates them from the context in the choice.
//
// The other rows follow the benchmarks' own files and the Hugging Face rows
// (Rowan/hellaswag, ybisk/piqa, allenai/winogrande, allenai/ai2_arc,
// allenai/openbookqa, google/boolq and super_glue/boolq):
//
//   - HellaSwag's label is an integer or a string holding one. Its context
//     and endings are cleaned as lm-eval does: strip, " [title]" becomes
//     ". ", "[header]"-style markers are removed, and each double space
//     becomes one. {Ctx_b} is ctx_b with Python's capitalize().
//   - PIQA's original train and valid files keep their labels in a file
//     beside them: a record with no "label" takes line k of PATH with
//     ".jsonl" replaced by "-labels.lst" ([ReadJSONL] only).
//   - ARC's and OpenBookQA's answer is the position of answerKey among the
//     choice labels, which may be letters or digits.
//   - An item's id is the record's "id", "ind", "qID" or "idx", else its
//     line number.
//
// A record that lacks a field or holds the wrong type, has fewer than two
// choices, or an answer out of range is an error naming the file, the line,
// the field and the format (or, on the first record, the formats tried).
//
// # Scoring
//
// [Task.Requests] lists one (context, continuation) pair per choice; the
// model returns log p(continuation | context) in nats for each.
// [Task.Score] counts an item correct under acc when its highest
// log-likelihood choice is the answer, and under acc_norm when its highest
// log-likelihood divided by the choice's length is. The length is lm-eval's
// len(choice): Unicode characters, without the " " a reader put in front
// (an empty choice counts as 1). Ties go to the first maximum, as numpy's
// argmax does, so a model that scores every choice alike always picks
// choice 0. WinoGrande's choices share their continuation, so its acc_norm
// equals its acc (lm-eval reports acc only).
//
// # cont4
//
// [Continuation] builds lpz's own task from held-out text, with no labels
// to download: each item is a passage of the text, the true continuation is
// the bytes that follow it, and the distractors are spans of the same length
// from elsewhere in the text. With four choices it is named cont4 (chance
// 25%); a model scores above chance only by predicting how text goes on.
package mctask
