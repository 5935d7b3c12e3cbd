package checkpoint

import (
	"fmt"
	"maps"
	"slices"
)

// Tensor is a row-major float32 tensor in Hugging Face orientation
// (nn.Linear weights are (out, in)).
type Tensor struct {
	Shape []int
	Data  []float32
}

// weightFile is one safetensors file of a checkpoint and, for a shard of a
// sharded one, the tensors its index's weight_map puts in it.
type weightFile struct {
	path   string
	listed map[string]bool
}

// readTensors reads every file in turn, each mapped only while it is read,
// and keeps the tensors check accepts, as float32.
func readTensors(files []weightFile, check tensorCheck) (map[string]Tensor, error) {
	out := make(map[string]Tensor)
	for _, f := range files {
		if err := readFile(f, check, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readFile(f weightFile, check tensorCheck, out map[string]Tensor) error {
	buf, release, err := mapFile(f.path)
	if err != nil {
		return fileError(f.path, err)
	}
	defer release()
	st, err := parseSafetensors(f.path, buf)
	if err != nil {
		return err
	}
	for _, name := range st.Names() {
		if f.listed != nil && !f.listed[name] {
			return &Error{File: f.path, Tensor: name, Msg: "in this shard, but the index's weight_map does not put it here"}
		}
		view, _ := st.Tensor(name)
		shape, ok := intShape(view.Shape())
		if !ok {
			return &Error{File: f.path, Tensor: name, Msg: fmt.Sprintf("shape %v has a dimension over %d", view.Shape(), maxDim)}
		}
		keep, problem := check(name, shape)
		if problem != "" {
			return &Error{File: f.path, Tensor: name, Msg: problem}
		}
		if keep {
			out[name] = toFloat32(view, shape)
		}
	}
	for _, name := range sortedKeys(f.listed) {
		if _, ok := st.Tensor(name); !ok {
			return &Error{File: f.path, Tensor: name, Msg: "the index's weight_map puts it in this shard, but it is not there"}
		}
	}
	return nil
}

// checkPresent reports the first tensor of want, by name, that got lacks;
// where names the file it should have been in.
func checkPresent(want map[string][]int, got map[string]Tensor, where func(string) string) error {
	for _, name := range sortedKeys(want) {
		if _, ok := got[name]; !ok {
			return &Error{File: where(name), Tensor: name, Msg: fmt.Sprintf("missing; config wants shape %v", want[name])}
		}
	}
	return nil
}

// checkForWrite checks tensors about to be written to file the way a reader
// will check them, and returns those to write.
func checkForWrite(file string, tensors map[string]Tensor, want map[string][]int, check tensorCheck) (map[string]Tensor, error) {
	if err := checkPresent(want, tensors, func(string) string { return file }); err != nil {
		return nil, err
	}
	kept := make(map[string]Tensor, len(tensors))
	for _, name := range sortedKeys(tensors) {
		t := tensors[name]
		keep, problem := check(name, t.Shape)
		if problem != "" {
			return nil, &Error{File: file, Tensor: name, Msg: problem}
		}
		if !keep {
			continue
		}
		if n := elements(t.Shape); n != len(t.Data) {
			return nil, &Error{File: file, Tensor: name, Msg: fmt.Sprintf("shape %v holds %d values, data has %d", t.Shape, n, len(t.Data))}
		}
		kept[name] = t
	}
	return kept, nil
}

// elements is the number of values a shape holds.
func elements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
