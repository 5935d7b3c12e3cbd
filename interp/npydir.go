package interp

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"

	"lpz/lang"
	"lpz/stdlib"
	"lpz/tensor"
)

var (
	listFile  = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*?)_(\d+)\.npy$`)
	plainFile = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\.npy$`)
)

// LoadInputsDir reads a directory of .npy files as interpreter inputs:
// NAME_0.npy, NAME_1.npy, … form the list NAME (its family from the channel
// table, or NAME itself for unknown names); NAME.npy is one tensor, or a
// scalar when it holds a 0-d array. Indices must run 0..n-1 without gaps;
// they may be zero-padded (A_07.npy), but two files may not name one entry
// (A_0.npy and A_00.npy).
func LoadInputsDir(dir string) (Inputs, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("inputs: %w", err)
	}
	lists := map[string]map[int]string{}
	in := Inputs{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || filepath.Ext(name) != ".npy" {
			continue
		}
		path := filepath.Join(dir, name)
		if m := listFile.FindStringSubmatch(name); m != nil {
			idx, err := strconv.Atoi(m[2])
			if err != nil {
				return nil, fmt.Errorf("inputs: %s: bad index", path)
			}
			if lists[m[1]] == nil {
				lists[m[1]] = map[int]string{}
			}
			if prev, dup := lists[m[1]][idx]; dup {
				return nil, fmt.Errorf("inputs: %s and %s are both entry %d of list %s: keep one", prev, path, idx, m[1])
			}
			lists[m[1]][idx] = path
			continue
		}
		m := plainFile.FindStringSubmatch(name)
		if m == nil {
			return nil, fmt.Errorf("inputs: %s: file name is not NAME.npy or NAME_INDEX.npy with NAME an identifier", path)
		}
		t, err := tensor.ReadNPY(path)
		if err != nil {
			return nil, fmt.Errorf("inputs: %w", err)
		}
		if len(t.Shape) == 0 {
			in[m[1]] = ScalarValue(float64(t.Data[0]))
		} else {
			in[m[1]] = TensorValue(t)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(lists)) {
		files := lists[name]
		if _, clash := in[name]; clash {
			return nil, fmt.Errorf("inputs: %s: both %s.npy and %s_0.npy… exist", dir, name, name)
		}
		ts := make([]*tensor.Tensor, len(files))
		for i := range ts {
			path, ok := files[i]
			if !ok {
				return nil, fmt.Errorf("inputs: %s: list %s has %d files but no %s_%d.npy", dir, name, len(files), name, i)
			}
			t, err := tensor.ReadNPY(path)
			if err != nil {
				return nil, fmt.Errorf("inputs: %w", err)
			}
			ts[i] = t
		}
		in[name] = TensorList(stdlib.FamilyOf(name), nil, ts)
	}
	if len(in) == 0 {
		return nil, fmt.Errorf("inputs: %s holds no .npy files", dir)
	}
	return in, nil
}

// SaveInputsDir writes inputs in the layout LoadInputsDir reads. Lists of
// scalars are written as one 1-d tensor per list (NAME.npy).
func SaveInputsDir(dir string, in Inputs) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(in))
	for k := range in {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		v := in[name]
		switch v.Type.Kind {
		case lang.Scalar:
			if err := tensor.WriteNPY(filepath.Join(dir, name+".npy"), &tensor.Tensor{Data: []float32{float32(v.Scalar)}}); err != nil {
				return err
			}
		case lang.Tensor:
			if err := tensor.WriteNPY(filepath.Join(dir, name+".npy"), v.Tensor); err != nil {
				return err
			}
		case lang.ListScalar:
			t := tensor.New(len(v.Scalars))
			for i, x := range v.Scalars {
				t.Data[i] = float32(x)
			}
			if err := tensor.WriteNPY(filepath.Join(dir, name+".npy"), t); err != nil {
				return err
			}
		case lang.ListTensor:
			for i, t := range v.Tensors {
				if err := tensor.WriteNPY(filepath.Join(dir, fmt.Sprintf("%s_%d.npy", name, i)), t); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
