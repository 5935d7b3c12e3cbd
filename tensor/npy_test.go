package tensor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// rawNPY builds a .npy file by hand: version, dict text, data bytes.
func rawNPY(major byte, dict string, data []byte) []byte {
	pre := 10
	if major >= 2 {
		pre = 12
	}
	total := (pre + len(dict) + 1 + 63) / 64 * 64
	hdr := dict + strings.Repeat(" ", total-pre-len(dict)-1) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.WriteByte(major)
	b.WriteByte(0)
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(hdr)))
	}
	b.WriteString(hdr)
	b.Write(data)
	return b.Bytes()
}

func le(vals ...any) []byte {
	var b bytes.Buffer
	for _, v := range vals {
		binary.Write(&b, binary.LittleEndian, v)
	}
	return b.Bytes()
}

func be(vals ...any) []byte {
	var b bytes.Buffer
	for _, v := range vals {
		binary.Write(&b, binary.BigEndian, v)
	}
	return b.Bytes()
}

func TestNPYHeaderMatchesNumpy(t *testing.T) {
	// numpy.save of a (2, 3) float32 array writes exactly this header
	// (format 1.0, header length 118 = 'v', total 128 bytes).
	want := "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + strings.Repeat(" ", 58) + "\n"
	if got := string(NPYHeader([]int{2, 3})); got != want {
		t.Errorf("header\n%q\nwant\n%q", got, want)
	}
	if got := string(NPYHeader([]int{5})); !strings.Contains(got, "'shape': (5,), }") || len(got)%64 != 0 {
		t.Errorf("1-D header %q", got)
	}
	if got := string(NPYHeader(nil)); !strings.Contains(got, "'shape': (), }") {
		t.Errorf("scalar header %q", got)
	}
}

func TestNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cases := []*Tensor{
		{Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, float32(math.Inf(1)), float32(math.NaN()), -0}},
		{Shape: []int{}, Data: []float32{42}},
		{Shape: []int{0, 4}, Data: []float32{}},
		{Shape: []int{7}, Data: []float32{1, 2, 3, 4, 5, 6, 7}},
		{Shape: []int{2, 1, 3, 2}, Data: make([]float32, 12)},
	}
	for i := range cases[4].Data {
		cases[4].Data[i] = float32(i) * 0.1
	}
	for i, c := range cases {
		p := filepath.Join(dir, "t.npy")
		if err := WriteNPY(p, c); err != nil {
			t.Fatal(err)
		}
		got, err := ReadNPY(p)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !reflect.DeepEqual(got.Shape, c.Shape) && !(len(got.Shape) == 0 && len(c.Shape) == 0) {
			t.Errorf("case %d: shape %v, want %v", i, got.Shape, c.Shape)
		}
		if len(got.Data) != len(c.Data) {
			t.Fatalf("case %d: %d elements, want %d", i, len(got.Data), len(c.Data))
		}
		for j := range c.Data {
			if math.Float32bits(got.Data[j]) != math.Float32bits(c.Data[j]) {
				t.Errorf("case %d elem %d: %v, want %v (bits differ)", i, j, got.Data[j], c.Data[j])
			}
		}
		// The stream API without a known size gives the same.
		var buf bytes.Buffer
		if err := EncodeNPY(&buf, c); err != nil {
			t.Fatal(err)
		}
		got2, err := DecodeNPY(struct{ *bytes.Buffer }{&buf}) // hide Len()
		if err != nil || len(got2.Data) != len(c.Data) {
			t.Errorf("case %d: stream decode: %v", i, err)
		}
	}
}

func TestNPYDtypes(t *testing.T) {
	want := []float32{1, -2, 3, 0}
	cases := []struct {
		descr string
		data  []byte
		want  []float32
	}{
		{"<f4", le(float32(1), float32(-2), float32(3), float32(0)), want},
		{">f4", be(float32(1), float32(-2), float32(3), float32(0)), want},
		{"<f8", le(1.0, -2.0, 3.0, 0.0), want},
		{">f8", be(1.0, -2.0, 3.0, 0.0), want},
		// binary16: 1 = 0x3c00, -2 = 0xc000, 3 = 0x4200, 0 = 0
		{"<f2", le(uint16(0x3c00), uint16(0xc000), uint16(0x4200), uint16(0)), want},
		{"<i4", le(int32(1), int32(-2), int32(3), int32(0)), want},
		{">i4", be(int32(1), int32(-2), int32(3), int32(0)), want},
		{"<i8", le(int64(1), int64(-2), int64(3), int64(0)), want},
		{"<i2", le(int16(1), int16(-2), int16(3), int16(0)), want},
		{"|i1", []byte{1, 0xfe, 3, 0}, want},
		{"|u1", []byte{1, 254, 3, 0}, []float32{1, 254, 3, 0}},
		{"<u2", le(uint16(1), uint16(65534), uint16(3), uint16(0)), []float32{1, 65534, 3, 0}},
		{"<u4", le(uint32(1), uint32(7), uint32(3), uint32(0)), []float32{1, 7, 3, 0}},
		{"<u8", le(uint64(1), uint64(7), uint64(3), uint64(0)), []float32{1, 7, 3, 0}},
		{"|b1", []byte{1, 0, 1, 0}, []float32{1, 0, 1, 0}},
	}
	for _, c := range cases {
		for _, major := range []byte{1, 2, 3} {
			raw := rawNPY(major, "{'descr': '"+c.descr+"', 'fortran_order': False, 'shape': (2, 2), }", c.data)
			got, err := DecodeNPY(bytes.NewReader(raw))
			if err != nil {
				t.Errorf("%s v%d: %v", c.descr, major, err)
				continue
			}
			if !reflect.DeepEqual(got.Shape, []int{2, 2}) || !reflect.DeepEqual(got.Data, c.want) {
				t.Errorf("%s v%d: got %v %v, want [2 2] %v", c.descr, major, got.Shape, got.Data, c.want)
			}
		}
	}
}

func TestHalf(t *testing.T) {
	cases := map[uint16]float32{
		0x0000: 0, 0x3c00: 1, 0xbc00: -1, 0x7bff: 65504, 0x0001: 5.960464477539063e-08,
		0x03ff: 6.097555160522461e-05, 0x0400: 6.103515625e-05, 0x3555: 0.333251953125,
	}
	for h, want := range cases {
		if got := halfToFloat32(h); got != want {
			t.Errorf("half %#04x = %v, want %v", h, got, want)
		}
	}
	if !math.IsInf(float64(halfToFloat32(0x7c00)), 1) || !math.IsInf(float64(halfToFloat32(0xfc00)), -1) {
		t.Error("half inf")
	}
	if !math.IsNaN(float64(halfToFloat32(0x7e00))) {
		t.Error("half NaN")
	}
	if math.Float32bits(halfToFloat32(0x8000)) != 0x80000000 {
		t.Error("half -0")
	}
}

func TestNPYFortranOrder(t *testing.T) {
	// A 2x3 array [[0,1,2],[3,4,5]] in Fortran order is stored as 0 3 1 4 2 5.
	raw := rawNPY(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
		le(float32(0), float32(3), float32(1), float32(4), float32(2), float32(5)))
	got, err := DecodeNPY(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Data, []float32{0, 1, 2, 3, 4, 5}) {
		t.Errorf("fortran 2x3 → %v", got.Data)
	}
	// 3-D: element (i,j,k) of shape (2,3,4) has value 100i+10j+k.
	shape := []int{2, 3, 4}
	var vals []any
	for k := 0; k < 4; k++ {
		for j := 0; j < 3; j++ {
			for i := 0; i < 2; i++ {
				vals = append(vals, float64(100*i+10*j+k))
			}
		}
	}
	raw = rawNPY(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }", le(vals...))
	got, err = DecodeNPY(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := 0; i < shape[0]; i++ {
		for j := 0; j < shape[1]; j++ {
			for k := 0; k < shape[2]; k++ {
				if got.Data[n] != float32(100*i+10*j+k) {
					t.Fatalf("fortran 3-D: element %d (%d,%d,%d) = %v", n, i, j, k, got.Data[n])
				}
				n++
			}
		}
	}
}

func TestNPYHeaderVariants(t *testing.T) {
	data := le(float32(1), float32(2), float32(3))
	for _, dict := range []string{
		"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
		"{'descr':'<f4','fortran_order':False,'shape':(3,)}",
		`{"shape": (3L,), "fortran_order": False, "descr": "<f4"}`, // Python 2 numpy
		"{'descr': '<f4', 'fortran_order': False, 'shape': [3], 'extra': None}",
	} {
		got, err := DecodeNPY(bytes.NewReader(rawNPY(1, dict, data)))
		if err != nil || !reflect.DeepEqual(got.Data, []float32{1, 2, 3}) {
			t.Errorf("%s: %v %v", dict, got, err)
		}
	}
}

func TestNPYErrors(t *testing.T) {
	good := rawNPY(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", make([]byte, 24))
	cases := []struct {
		name string
		raw  []byte
		want string
	}{
		{"empty", nil, "empty input"},
		{"magic", []byte("PK\x03\x04 not npy at all"), "bad magic"},
		{"version", append([]byte("\x93NUMPY\x04\x00"), good[8:]...), "unsupported format version 4.0"},
		{"short header", good[:40], "truncated header"},
		{"truncated data", good[:len(good)-5], "truncated data"},
		{"trailing", append(append([]byte(nil), good...), 1, 2, 3), "trailing bytes after the data (3 of them): header declares 24 bytes (shape [2,3], <f4)"},
		{"trailing after empty", rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2), }", make([]byte, 8)), "trailing bytes after the data (8 of them): header declares 0 bytes (shape [0,2], <f8)"},
		{"no data", good[:128], "truncated data"},
		{"dtype", rawNPY(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", make([]byte, 16)), "unsupported dtype '<c8'"},
		{"object", rawNPY(1, "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", nil), "unsupported dtype"},
		{"structured", rawNPY(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", nil), "structured"},
		{"no shape", rawNPY(1, "{'descr': '<f4', 'fortran_order': False}", nil), "missing key 'shape'"},
		{"neg dim", rawNPY(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", nil), "invalid dimension"},
		{"huge", rawNPY(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 100000000000), }", nil), "too large"},
		{"syntax", rawNPY(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, }", nil), "bad header"},
		{"fortran", rawNPY(1, "{'descr': '<f4', 'fortran_order': 'yes', 'shape': (2,), }", nil), "fortran_order"},
	}
	for _, c := range cases {
		_, err := DecodeNPY(bytes.NewReader(c.raw))
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrNPY) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
		// Unknown-size readers give the same class of error, and the same
		// message where they can know it.
		_, err = DecodeNPY(struct{ *bytes.Reader }{bytes.NewReader(c.raw)})
		if err == nil || !errors.Is(err, ErrNPY) || strings.HasPrefix(c.name, "trailing") && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s (stream): err = %v", c.name, err)
		}
	}
	// ReadNPY names the file.
	p := filepath.Join(t.TempDir(), "bad.npy")
	os.WriteFile(p, good[:len(good)-1], 0o644)
	if _, err := ReadNPY(p); err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "truncated data") {
		t.Errorf("ReadNPY: %v", err)
	}
	os.WriteFile(p, append(append([]byte(nil), good...), 0), 0o644)
	if _, err := ReadNPY(p); err == nil || !strings.Contains(err.Error(), p+": npy: trailing bytes after the data (1 of them)") {
		t.Errorf("ReadNPY trailing: %v", err)
	}
	if _, err := ReadNPY(p + ".missing"); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadNPY missing: %v", err)
	}
	// A lying header on an unknown-size stream does not allocate it all.
	lie := rawNPY(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }", make([]byte, 100))
	if _, err := DecodeNPY(struct{ *bytes.Reader }{bytes.NewReader(lie)}); err == nil || !strings.Contains(err.Error(), "only 100 present") {
		t.Errorf("lying header: %v", err)
	}
	if err := EncodeNPY(&bytes.Buffer{}, &Tensor{Shape: []int{2}, Data: []float32{1}}); err == nil {
		t.Error("EncodeNPY accepted a shape/data mismatch")
	}
}

func FuzzDecodeNPY(f *testing.F) {
	var buf bytes.Buffer
	EncodeNPY(&buf, &Tensor{Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}})
	f.Add(buf.Bytes())
	f.Add(rawNPY(2, "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 2), }", make([]byte, 32)))
	f.Add(rawNPY(3, "{'descr': '<f2', 'fortran_order': False, 'shape': (), }", make([]byte, 2)))
	f.Add(rawNPY(1, "{'descr': '|b1', 'fortran_order': True, 'shape': (3, 1, 2), }", make([]byte, 6)))
	f.Add([]byte("\x93NUMPY\x01\x00"))
	f.Add(append(bytes.Clone(buf.Bytes()), 0))
	f.Add(rawNPY(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", make([]byte, 4)))
	f.Fuzz(func(t *testing.T, b []byte) {
		t1, err1 := DecodeNPY(bytes.NewReader(b))
		t2, err2 := DecodeNPY(struct{ *bytes.Reader }{bytes.NewReader(b)})
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("sized/unsized disagree: %v / %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		// An accepted file is exactly header and data: one more byte is
		// an error for either reader.
		more := append(bytes.Clone(b), 0)
		for _, r := range []io.Reader{bytes.NewReader(more), struct{ *bytes.Reader }{bytes.NewReader(more)}} {
			if _, err := DecodeNPY(r); err == nil || !strings.Contains(err.Error(), "trailing bytes after the data (1 of them)") {
				t.Fatalf("one trailing byte: %v", err)
			}
		}
		if NumElements(t1.Shape) != len(t1.Data) || len(t1.Data) != len(t2.Data) {
			t.Fatalf("shape %v with %d elements", t1.Shape, len(t1.Data))
		}
		var out bytes.Buffer
		if err := EncodeNPY(&out, t1); err != nil {
			t.Fatal(err)
		}
		t3, err := DecodeNPY(&out)
		if err != nil || len(t3.Data) != len(t1.Data) {
			t.Fatalf("re-encode: %v", err)
		}
	})
}

func BenchmarkReadNPY(b *testing.B) {
	p := filepath.Join(b.TempDir(), "big.npy")
	tt := New(4, 1024, 1024) // 16 MiB
	for i := range tt.Data {
		tt.Data[i] = float32(i)
	}
	if err := WriteNPY(p, tt); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(4 * len(tt.Data)))
	for b.Loop() {
		if _, err := ReadNPY(p); err != nil {
			b.Fatal(err)
		}
	}
}
