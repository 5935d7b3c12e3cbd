package mctask

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The records below are made up in each benchmark's layout (HF rows and the
// original files); none is dataset text.
func TestParseJSONLFormats(t *testing.T) {
	tests := []struct {
		name, input, format string
		want                []Item
	}{
		{"lpz", `{"id":"k1","context":"A cat sat on the","choices":[" mat"," moon"," idea"],"answer":0}
{"context":"Two plus two is","choices":["four","five"],"answer":1}`, "lpz", []Item{
			{ID: "k1", Contexts: []string{"A cat sat on the"}, Continuations: []string{" mat", " moon", " idea"}, Answer: 0},
			{ID: "2", Contexts: []string{"Two plus two is"}, Continuations: []string{"four", "five"}, Answer: 1},
		}},
		{"hellaswag HF row", `{"ind":24,"activity_label":"Baking cookies","ctx_a":"A woman pours flour into a bowl.","ctx_b":"she","ctx":"A woman pours flour into a bowl. she","endings":["stirs in two eggs with a fork.","throws the bowl  at the ceiling. "],"source_id":"made-up","split":"val","split_type":"indomain","label":"1"}`,
			"hellaswag", []Item{{ID: "24", Contexts: []string{"Baking cookies: A woman pours flour into a bowl. She"},
				Continuations: []string{" stirs in two eggs with a fork.", " throws the bowl at the ceiling."}, Answer: 1}}},
		{"hellaswag wikihow markers", `{"ind":7,"activity_label":"Home and Garden","ctx_a":"[header] How to paint a fence [title] Pick a dry day.","ctx_b":"","endings":["[step] Check the forecast for rain first.","Paint [substeps] in the rain."],"label":0}`,
			"hellaswag", []Item{{ID: "7", Contexts: []string{"Home and Garden: How to paint a fence. Pick a dry day."},
				// lm-eval strips before it removes "[step]", so a space survives.
				Continuations: []string{"  Check the forecast for rain first.", " Paint in the rain."}, Answer: 0}}},
		{"hellaswag ctx only", `{"ctx":"A man ties his SHOES.","endings":["He stands up.","He flies away."],"label":0}`,
			"hellaswag", []Item{{ID: "1", Contexts: []string{"A man ties his SHOES."}, Continuations: []string{" He stands up.", " He flies away."}}}},
		{"piqa", `{"id":"p-1","goal":"Keep bread fresh longer","sol1":"Store it in a sealed bag.","sol2":"Store it in a bowl of water.","label":0}`,
			"piqa", []Item{{ID: "p-1", Contexts: []string{"Question: Keep bread fresh longer\nAnswer:"},
				Continuations: []string{" Store it in a sealed bag.", " Store it in a bowl of water."}}}},
		{"winogrande", `{"qID":"w-9","sentence":"Maria lent her umbrella to Priya because _ was going out into the storm. ","option1":"Maria","option2":"Priya","answer":"2"}`,
			"winogrande", []Item{{ID: "w-9",
				Contexts:      []string{"Maria lent her umbrella to Priya because Maria", "Maria lent her umbrella to Priya because Priya"},
				Continuations: []string{" was going out into the storm.", " was going out into the storm."}, Answer: 1}}},
		{"arc letters and digits", `{"id":"Made_1","question":"Which tool measures the mass of a rock?","choices":{"text":["a balance","a ruler","a thermometer"],"label":["A","B","C"]},"answerKey":"A"}
{"id":"Made_2","question":"What do roots take in?","choices":{"text":["light","water","sound","heat"],"label":["1","2","3","4"]},"answerKey":"2"}`,
			"arc", []Item{
				{ID: "Made_1", Contexts: []string{"Question: Which tool measures the mass of a rock?\nAnswer:"}, Continuations: []string{" a balance", " a ruler", " a thermometer"}},
				{ID: "Made_2", Contexts: []string{"Question: What do roots take in?\nAnswer:"}, Continuations: []string{" light", " water", " sound", " heat"}, Answer: 1},
			}},
		{"openbookqa", `{"id":"9-1","question_stem":"Plants grow toward","choices":{"text":["the light","the dark"],"label":["A","B"]},"answerKey":" A","fact1":"made up","humanScore":1.0}`,
			"openbookqa", []Item{{ID: "9-1", Contexts: []string{"Plants grow toward"}, Continuations: []string{" the light", " the dark"}}}},
		{"boolq google", `{"question":"is a tomato a fruit","title":"Tomato","answer":true,"passage":"Botanically, a tomato is the fruit of its plant."}`,
			"boolq", []Item{{ID: "1", Contexts: []string{"Botanically, a tomato is the fruit of its plant.\nQuestion: is a tomato a fruit?\nAnswer:"},
				Continuations: []string{" no", " yes"}, Answer: 1}}},
		{"boolq superglue", `{"question":"can fish fly","passage":"Most fish swim.","idx":3,"label":0}
{"question":"do owls hunt","passage":"Owls hunt at night.","idx":4,"label":true}`,
			"boolq", []Item{
				{ID: "3", Contexts: []string{"Most fish swim.\nQuestion: can fish fly?\nAnswer:"}, Continuations: []string{" no", " yes"}},
				{ID: "4", Contexts: []string{"Owls hunt at night.\nQuestion: do owls hunt?\nAnswer:"}, Continuations: []string{" no", " yes"}, Answer: 1},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			task, err := ParseJSONL(strings.NewReader(tc.input), "t")
			if err != nil {
				t.Fatal(err)
			}
			if task.Format != tc.format {
				t.Errorf("format %q, want %q", task.Format, tc.format)
			}
			for i := range task.Items {
				task.Items[i].delim = "" // Score's tests check it
			}
			if !reflect.DeepEqual(task.Items, tc.want) {
				t.Errorf("items\n%#v\nwant\n%#v", task.Items, tc.want)
			}
		})
	}
}

func TestParseJSONLBlankLinesAndBOM(t *testing.T) {
	in := "\ufeff{\"context\":\"c\",\"choices\":[\"a\",\"b\"],\"answer\":1}\r\n\n  \n{\"context\":\"d\",\"choices\":[\"a\",\"b\"],\"answer\":0}\n"
	task, err := ParseJSONL(strings.NewReader(in), "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(task.Items) != 2 || task.Items[1].ID != "4" {
		t.Fatalf("items %+v, want 2 with the second at line 4", task.Items)
	}
}

func TestParseJSONLErrors(t *testing.T) {
	const hs = `{"ctx":"c","endings":["a","b"],"label":0}`
	tests := []struct{ name, input, want string }{
		{"empty", "\n\n", "t: no records"},
		{"truncated", `{"context": `, "t:1: malformed JSON"},
		{"array", `[1,2]`, "t:1: want a JSON object, got an array"},
		{"unknown", `{"foo":1,"bar":2}`, "t:1: no known format has fields {bar, foo}; tried lpz (context, choices[], answer); hellaswag"},
		{"null key field", `{"context":null,"choices":["a","b"],"answer":0}`, "no known format"},
		{"later record lacks field", hs + "\n\n" + `{"ctx":"c","endings":["a","b"]}`, `t:3: hellaswag record (format detected at line 1): field "label" is missing`},
		{"one choice", `{"context":"c","choices":["a"],"answer":0}`, "t:1: lpz record (format detected at line 1): has 1 choices, needs at least 2"},
		{"answer out of range", `{"context":"c","choices":["a","b"],"answer":2}`, "answer 2 is out of range for 2 choices"},
		{"negative answer", hs[:len(hs)-2] + `-1}`, "answer -1 is out of range"},
		{"empty choice", `{"context":"c","choices":["a",""],"answer":0}`, "choice 1 is empty"},
		{"choices not array", `{"context":"c","choices":"ab","answer":0}`, `field "choices": want an array of strings, got a string`},
		{"fractional answer", `{"context":"c","choices":["a","b"],"answer":0.5}`, `field "answer": want an integer, got 0.5`},
		{"hellaswag test split", `{"ctx":"c","endings":["a","b"],"label":""}`, `field "label": want an integer, got ""`},
		{"hellaswag no ctx", `{"endings":["a","b"],"label":0}`, `field "ctx" is missing (and "ctx_a"+"ctx_b" are missing too)`},
		{"winogrande no blank", `{"sentence":"No blank here.","option1":"a","option2":"b","answer":"1"}`, `field "sentence" has no "_" blank`},
		{"winogrande answer 3", `{"sentence":"a _ b","option1":"a","option2":"b","answer":"3"}`, `field "answer": want "1" or "2", got "3"`},
		{"winogrande test split", `{"sentence":"a _ b","option1":"a","option2":"b","answer":""}`, `field "answer": want an integer`},
		{"arc unknown key", `{"question":"q","choices":{"text":["a","b"],"label":["A","B"]},"answerKey":"E"}`, `answerKey "E" is none of the choice labels ["A" "B"]`},
		{"arc ragged", `{"question":"q","choices":{"text":["a","b"],"label":["A"]},"answerKey":"A"}`, "choices: 2 texts but 1 labels"},
		{"arc choices not object", `{"question":"q","choices":["a","b"],"answerKey":"A"}`, `field "choices": want an object, got an array`},
		{"boolq no answer", `{"question":"q","passage":"p"}`, `fields "answer" and "label" are both missing`},
		{"boolq label 2", `{"question":"q","passage":"p","label":2}`, `field "label": want true, false, 0 or 1, got 2`},
		{"boolq superglue test", `{"question":"q","passage":"p","label":-1}`, `field "label": want true, false, 0 or 1, got -1`},
		{"piqa stream without label", `{"goal":"g","sol1":"a","sol2":"b"}`, `field "label" is missing, and a stream has no -labels.lst file`},
		{"piqa label -1", `{"goal":"g","sol1":"a","sol2":"b","label":-1}`, "answer -1 is out of range for 2 choices"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseJSONL(strings.NewReader(tc.input), "t")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestReadJSONL(t *testing.T) {
	const piqa = `{"id":"a","goal":"g1","sol1":"x","sol2":"y"}
{"id":"b","goal":"g2","sol1":"x","sol2":"y"}
`
	tests := []struct {
		name, labels string // labels "" writes no -labels.lst
		answers      []int
		wantErr      string
	}{
		{"labels file", "1\n0\n\n", []int{1, 0}, ""},
		{"no labels file", "", nil, "train-labels.lst does not exist"},
		{"too few labels", "1\n", nil, "train-labels.lst has only 1 labels"},
		{"too many labels", "1\n0\n1\n", nil, "train-labels.lst has 3 labels for the 2 records"},
		{"bad label", "1\nyes\n", nil, `train-labels.lst:2: "yes" is not an integer label`},
		{"label out of range", "1\n2\n", nil, "train.jsonl:2: piqa record (format detected at line 1): answer 2 is out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "train.jsonl")
			writeFile(t, path, piqa)
			if tc.labels != "" {
				writeFile(t, filepath.Join(dir, "train-labels.lst"), tc.labels)
			}
			task, err := ReadJSONL(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if task.Name != "train" || task.Source != path || task.Format != "piqa" {
				t.Errorf("name %q source %q format %q", task.Name, task.Source, task.Format)
			}
			for i, it := range task.Items {
				if it.Answer != tc.answers[i] {
					t.Errorf("item %d answer %d, want %d", i, it.Answer, tc.answers[i])
				}
			}
		})
	}
}

func TestReadJSONLMissingFile(t *testing.T) {
	if _, err := ReadJSONL(filepath.Join(t.TempDir(), "none.jsonl")); err == nil || !strings.Contains(err.Error(), "none.jsonl") {
		t.Fatalf("error %v, want one naming the file", err)
	}
}

func TestHellaswagClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  plain text \n", "plain text"},
		{"Step one [title] Step two", "Step one. Step two"},
		{"a [x] b [y]c", "a b c"},
		{"four    spaces", "four  spaces"}, // one pass, as Python's replace
		{"[open\nclose] kept", "[open\nclose] kept"},
		{"\x1ftrimmed\x1c", "trimmed"},
	}
	for _, tc := range tests {
		if got := hellaswagClean(tc.in); got != tc.want {
			t.Errorf("hellaswagClean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
