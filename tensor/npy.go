package tensor

// Reading and writing numpy's .npy format
// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
//
// Reading accepts format versions 1.0, 2.0 and 3.0, the dtypes f2 f4 f8,
// i1 i2 i4 i8, u1 u2 u4 u8 and b1 in either byte order ('<', '>', '|', and
// '=' taken as this machine's order), converted to float32 (f8, i4, i8, u4
// and u8 values round to the nearest float32), and fortran_order True
// (transposed into row-major order). Writing always produces version 1.0
// (2.0 only if the header would not fit), dtype '<f4', C order, with the
// header padded to a multiple of 64 bytes as numpy does.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unsafe"
)

var npyMagic = []byte("\x93NUMPY")

// maxNPYHeader bounds the header length we accept (numpy itself refuses
// headers over 10000 bytes unless told otherwise).
const maxNPYHeader = 1 << 20

// maxNPYBytes bounds the data size a header may declare (1 TiB).
const maxNPYBytes = 1 << 40

// growChunk is how much data is read (and allocated) at a time when the
// size of the input is not known, so a lying header cannot make the decoder
// allocate more than the input actually holds (plus one chunk).
const growChunk = 4 << 20

var littleEndianHost = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// ErrNPY is wrapped by every error about malformed .npy content.
var ErrNPY = errors.New("npy")

func npyErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNPY, fmt.Sprintf(format, args...))
}

// ReadNPY reads a .npy file. Errors name the file and what is wrong.
func ReadNPY(path string) (*Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	t, err := DecodeNPYSized(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// WriteNPY writes t to path as a version 1.0 '<f4' C-order .npy file.
func WriteNPY(path string, t *Tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := EncodeNPY(f, t); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// DecodeNPY reads one .npy array from r. If r has a Len() int method
// (bytes.Reader, strings.Reader, bytes.Buffer) or a Stat method (os.File)
// its size is used to reject truncated input early; otherwise the data is
// read in chunks, so a header that declares more data than r holds costs no
// large allocation before the truncation is noticed.
func DecodeNPY(r io.Reader) (*Tensor, error) {
	size := int64(-1)
	switch v := r.(type) {
	case interface{ Len() int }:
		size = int64(v.Len())
	case *os.File:
		if st, err := v.Stat(); err == nil && st.Mode().IsRegular() {
			if off, err := v.Seek(0, io.SeekCurrent); err == nil {
				size = st.Size() - off
			}
		}
	}
	return DecodeNPYSized(r, size)
}

// DecodeNPYSized is DecodeNPY for a reader known to hold size bytes
// (size < 0: unknown). A .npy file holds one array, so bytes after its
// data are an error: they mean a header that understates the data, or a
// damaged or concatenated file, and ignoring them would load a wrong array.
func DecodeNPYSized(r io.Reader, size int64) (*Tensor, error) {
	br := &countReader{r: r}
	hdr, err := readNPYHeader(br)
	if err != nil {
		return nil, err
	}
	need := int64(hdr.n) * int64(hdr.dt.size)
	if size >= 0 {
		if avail := size - br.n; avail < need {
			return nil, npyErr("truncated data: header declares %d bytes (shape %s, %s), only %d present", need, ShapeString(hdr.shape), hdr.descr, max(avail, 0))
		} else if avail > need {
			return nil, trailingErr(hdr, avail-need)
		}
	}
	data, err := readNPYData(br, hdr, size >= 0)
	if err != nil {
		return nil, err
	}
	if size < 0 {
		if extra, _ := io.Copy(io.Discard, br); extra > 0 {
			return nil, trailingErr(hdr, extra)
		}
	}
	if hdr.fortran && len(hdr.shape) > 1 {
		data = fortranToC(data, hdr.shape)
	}
	return &Tensor{Shape: hdr.shape, Data: data}, nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type npyDtype struct {
	kind   byte // 'f', 'i', 'u', 'b'
	size   int
	big    bool
	native bool // little-endian f4 on a little-endian host: read in place
}

type npyHeader struct {
	descr   string
	dt      npyDtype
	fortran bool
	shape   []int
	n       int
}

func readNPYHeader(r io.Reader) (*npyHeader, error) {
	var pre [8]byte
	if n, err := io.ReadFull(r, pre[:]); err != nil {
		if n == 0 && err == io.EOF {
			return nil, npyErr("empty input, not a .npy file")
		}
		return nil, npyErr("truncated header: %d bytes, need at least 10", n)
	}
	if string(pre[:6]) != string(npyMagic) {
		return nil, npyErr("bad magic %q: not a .npy file", pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen int
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, npyErr("truncated header length")
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, npyErr("truncated header length")
		}
		h := binary.LittleEndian.Uint32(b[:])
		if h > maxNPYHeader {
			return nil, npyErr("header length %d exceeds the %d-byte limit", h, maxNPYHeader)
		}
		hlen = int(h)
	default:
		return nil, npyErr("unsupported format version %d.%d (supported: 1.0, 2.0, 3.0)", major, minor)
	}
	hb := make([]byte, hlen)
	if n, err := io.ReadFull(r, hb); err != nil {
		return nil, npyErr("truncated header: declared %d bytes, got %d", hlen, n)
	}
	text := string(hb)
	if major < 3 {
		// Versions 1 and 2 are latin-1; only ASCII matters for the keys
		// and values we understand.
		text = latin1(hb)
	}
	v, err := parsePyLiteral(text)
	if err != nil {
		return nil, npyErr("bad header %q: %v", trimForMsg(text), err)
	}
	d, ok := v.(map[string]any)
	if !ok {
		return nil, npyErr("bad header %q: not a dict", trimForMsg(text))
	}
	h := &npyHeader{}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if _, ok := d[k]; !ok {
			return nil, npyErr("bad header %q: missing key '%s'", trimForMsg(text), k)
		}
	}
	descr, ok := d["descr"].(string)
	if !ok {
		return nil, npyErr("unsupported dtype %s: structured arrays are not supported", pyRepr(d["descr"]))
	}
	h.descr = descr
	if h.dt, err = parseDescr(descr); err != nil {
		return nil, err
	}
	if h.fortran, ok = d["fortran_order"].(bool); !ok {
		return nil, npyErr("bad header: fortran_order is %s, not True/False", pyRepr(d["fortran_order"]))
	}
	tup, ok := d["shape"].([]any)
	if !ok {
		return nil, npyErr("bad header: shape is %s, not a tuple", pyRepr(d["shape"]))
	}
	h.shape = make([]int, len(tup))
	total := int64(1)
	for i, x := range tup {
		dim, ok := x.(int64)
		if !ok || dim < 0 {
			return nil, npyErr("bad header: shape %s has an invalid dimension %s", pyRepr(d["shape"]), pyRepr(x))
		}
		if dim > 0 && total > maxNPYBytes/int64(h.dt.size)/dim {
			total = maxNPYBytes + 1
		} else {
			total *= dim
		}
		h.shape[i] = int(min(dim, maxNPYBytes))
	}
	if total*int64(h.dt.size) > maxNPYBytes {
		return nil, npyErr("shape %s is too large (over %d bytes)", pyRepr(d["shape"]), int64(maxNPYBytes))
	}
	h.n = int(total)
	return h, nil
}

func latin1(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

func trimForMsg(s string) string {
	s = strings.TrimRight(s, " \n\x00")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

func parseDescr(s string) (npyDtype, error) {
	bad := func() (npyDtype, error) {
		return npyDtype{}, npyErr("unsupported dtype '%s' (supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1, any byte order)", s)
	}
	if len(s) < 3 {
		return bad()
	}
	var dt npyDtype
	switch s[0] {
	case '<':
	case '>':
		dt.big = true
	case '=':
		dt.big = !littleEndianHost
	case '|':
	default:
		return bad()
	}
	dt.kind = s[1]
	n, err := strconv.Atoi(s[2:])
	if err != nil {
		return bad()
	}
	dt.size = n
	ok := false
	switch dt.kind {
	case 'f':
		ok = n == 2 || n == 4 || n == 8
	case 'i', 'u':
		ok = n == 1 || n == 2 || n == 4 || n == 8
	case 'b':
		ok = n == 1
	}
	if !ok {
		return bad()
	}
	if dt.size == 1 {
		dt.big = false
	}
	dt.native = dt.kind == 'f' && dt.size == 4 && !dt.big && littleEndianHost
	return dt, nil
}

// readNPYData reads hdr.n elements. With known (the input size was checked)
// the result is allocated at once; otherwise it grows as data arrives.
func readNPYData(r io.Reader, hdr *npyHeader, known bool) ([]float32, error) {
	n, es := hdr.n, hdr.dt.size
	chunkElems := growChunk / es
	out := make([]float32, 0, n)
	if !known && n > chunkElems {
		out = make([]float32, 0, chunkElems)
	}
	var buf []byte
	if !hdr.dt.native {
		buf = make([]byte, min(n, chunkElems)*es)
	}
	conv := converter(hdr.dt)
	for len(out) < n {
		k := n - len(out)
		if !known {
			k = min(k, chunkElems)
		}
		if cap(out)-len(out) < k {
			grown := make([]float32, len(out), min(n, max(2*cap(out), len(out)+k)))
			copy(grown, out)
			out = grown
		}
		dst := out[len(out) : len(out)+k]
		if hdr.dt.native {
			b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), k*4)
			if got, err := io.ReadFull(r, b); err != nil {
				return nil, truncErr(hdr, int64(len(out))*4+int64(got))
			}
		} else {
			for done := 0; done < k; {
				m := min(k-done, len(buf)/es)
				b := buf[:m*es]
				if got, err := io.ReadFull(r, b); err != nil {
					return nil, truncErr(hdr, int64(len(out)+done)*int64(es)+int64(got))
				}
				conv(dst[done:done+m], b)
				done += m
			}
		}
		out = out[:len(out)+k]
	}
	return out, nil
}

func trailingErr(hdr *npyHeader, extra int64) error {
	return npyErr("trailing bytes after the data (%d of them): header declares %d bytes (shape %s, %s)", extra, int64(hdr.n)*int64(hdr.dt.size), ShapeString(hdr.shape), hdr.descr)
}

func truncErr(hdr *npyHeader, got int64) error {
	return npyErr("truncated data: header declares %d bytes (shape %s, %s), only %d present", int64(hdr.n)*int64(hdr.dt.size), ShapeString(hdr.shape), hdr.descr, got)
}

func converter(dt npyDtype) func(dst []float32, src []byte) {
	var bo binary.ByteOrder = binary.LittleEndian
	if dt.big {
		bo = binary.BigEndian
	}
	switch {
	case dt.kind == 'f' && dt.size == 2:
		return func(dst []float32, src []byte) {
			for i := range dst {
				dst[i] = halfToFloat32(bo.Uint16(src[2*i:]))
			}
		}
	case dt.kind == 'f' && dt.size == 4:
		return func(dst []float32, src []byte) {
			for i := range dst {
				dst[i] = math.Float32frombits(bo.Uint32(src[4*i:]))
			}
		}
	case dt.kind == 'f' && dt.size == 8:
		return func(dst []float32, src []byte) {
			for i := range dst {
				dst[i] = float32(math.Float64frombits(bo.Uint64(src[8*i:])))
			}
		}
	case dt.kind == 'i' && dt.size == 1:
		return func(dst []float32, src []byte) {
			for i := range dst {
				dst[i] = float32(int8(src[i]))
			}
		}
	case dt.kind == 'i' && dt.size == 2:
		return func(dst []float32, src []byte) {
			for i := range dst {
				dst[i] = float32(int16(bo.Uint16(src[2*i:])))
			}
		}
	case dt.kind == 'i' && dt.size == 4:
		return func(dst []float32, src []byte) {
			for i := range dst {
				dst[i] = float32(int32(bo.Uint32(src[4*i:])))
			}
		}
	case dt.kind == 'i' && dt.size == 8:
		return func(dst []float32, src []byte) {
			for i := range dst {
				dst[i] = float32(int64(bo.Uint64(src[8*i:])))
			}
		}
	case dt.kind == 'u' && dt.size == 1:
		return func(dst []float32, src []byte) {
			for i := range dst {
				dst[i] = float32(src[i])
			}
		}
	case dt.kind == 'u' && dt.size == 2:
		return func(dst []float32, src []byte) {
			for i := range dst {
				dst[i] = float32(bo.Uint16(src[2*i:]))
			}
		}
	case dt.kind == 'u' && dt.size == 4:
		return func(dst []float32, src []byte) {
			for i := range dst {
				dst[i] = float32(bo.Uint32(src[4*i:]))
			}
		}
	case dt.kind == 'u' && dt.size == 8:
		return func(dst []float32, src []byte) {
			for i := range dst {
				dst[i] = float32(bo.Uint64(src[8*i:]))
			}
		}
	default: // 'b', 1 byte: numpy bools are 0 or 1; any non-zero is true.
		return func(dst []float32, src []byte) {
			for i := range dst {
				if src[i] != 0 {
					dst[i] = 1
				} else {
					dst[i] = 0
				}
			}
		}
	}
}

// halfToFloat32 converts IEEE 754 binary16 bits exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0:
		v := float32(mant) * (1.0 / (1 << 24)) // subnormal (or zero)
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// fortranToC reorders column-major data of the given shape into row-major.
func fortranToC(src []float32, shape []int) []float32 {
	n := len(src)
	dst := make([]float32, n)
	if n == 0 {
		return dst
	}
	k := len(shape)
	fstride := make([]int, k) // Fortran strides: first index fastest
	s := 1
	for i := 0; i < k; i++ {
		fstride[i] = s
		s *= shape[i]
	}
	idx := make([]int, k)
	off := 0
	last := k - 1
	for i := 0; i < n; i++ {
		dst[i] = src[off]
		// advance the row-major odometer, keeping the Fortran offset
		for d := last; d >= 0; d-- {
			idx[d]++
			off += fstride[d]
			if idx[d] < shape[d] {
				break
			}
			off -= fstride[d] * shape[d]
			idx[d] = 0
		}
	}
	return dst
}

// EncodeNPY writes t as a version 1.0 '<f4' C-order .npy array.
func EncodeNPY(w io.Writer, t *Tensor) error {
	if t == nil {
		return npyErr("cannot encode a nil tensor")
	}
	for _, d := range t.Shape {
		if d < 0 {
			return npyErr("cannot encode shape %s: negative dimension", ShapeString(t.Shape))
		}
	}
	if n := NumElements(t.Shape); n != len(t.Data) {
		return npyErr("cannot encode: shape %s needs %d elements, tensor has %d", ShapeString(t.Shape), n, len(t.Data))
	}
	if _, err := w.Write(NPYHeader(t.Shape)); err != nil {
		return err
	}
	if len(t.Data) == 0 {
		return nil
	}
	if littleEndianHost {
		_, err := w.Write(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.Data))), 4*len(t.Data)))
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var b [4]byte
	for _, v := range t.Data {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		bw.Write(b[:])
	}
	return bw.Flush()
}

// NPYHeader returns the bytes (magic, version, length, padded dict) that
// EncodeNPY writes before the data of a '<f4' C-order array of this shape.
func NPYHeader(shape []int) []byte {
	var sb strings.Builder
	sb.WriteString("{'descr': '<f4', 'fortran_order': False, 'shape': (")
	for i, d := range shape {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		sb.WriteString(",")
	}
	sb.WriteString("), }")
	dict := sb.String()
	major, pre := byte(1), 10
	if len(dict)+1+pre+63 > 65535 {
		major, pre = 2, 12
	}
	total := (pre + len(dict) + 1 + 63) / 64 * 64
	hlen := total - pre
	out := make([]byte, 0, total)
	out = append(out, npyMagic...)
	out = append(out, major, 0)
	if major == 1 {
		out = binary.LittleEndian.AppendUint16(out, uint16(hlen))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(hlen))
	}
	out = append(out, dict...)
	for len(out) < total-1 {
		out = append(out, ' ')
	}
	return append(out, '\n')
}

// parsePyLiteral parses the subset of Python literals found in .npy
// headers: dicts, tuples, lists, strings, ints (with an optional L suffix),
// True, False and None. Values: map[string]any, []any, string, int64, bool,
// nil.
func parsePyLiteral(s string) (any, error) {
	p := &pyParser{s: s}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q after the value", p.s[p.i:min(len(p.s), p.i+10)])
	}
	return v, nil
}

type pyParser struct {
	s string
	i int
}

func (p *pyParser) ws() {
	for p.i < len(p.s) && strings.IndexByte(" \t\n\r\x00", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyParser) value(depth int) (any, error) {
	if depth > 16 {
		return nil, errors.New("nested too deeply")
	}
	p.ws()
	if p.i >= len(p.s) {
		return nil, errors.New("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		m := map[string]any{}
		for {
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return m, nil
			}
			k, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("dict key %s is not a string", pyRepr(k))
			}
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, fmt.Errorf("missing ':' after key '%s'", ks)
			}
			p.i++
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m[ks] = v
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
			} else if p.i >= len(p.s) || p.s[p.i] != '}' {
				return nil, errors.New("missing ',' or '}' in dict")
			}
		}
	case c == '(' || c == '[':
		closer := byte(')')
		if c == '[' {
			closer = ']'
		}
		p.i++
		l := []any{}
		for {
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == closer {
				p.i++
				return l, nil
			}
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
			} else if p.i >= len(p.s) || p.s[p.i] != closer {
				return nil, fmt.Errorf("missing ',' or '%c'", closer)
			}
		}
	case c == '\'' || c == '"':
		p.i++
		var sb strings.Builder
		for p.i < len(p.s) && p.s[p.i] != c {
			if p.s[p.i] == '\\' && p.i+1 < len(p.s) {
				p.i++
			}
			sb.WriteByte(p.s[p.i])
			p.i++
		}
		if p.i >= len(p.s) {
			return nil, errors.New("unterminated string")
		}
		p.i++
		return sb.String(), nil
	case c == '-' || (c >= '0' && c <= '9'):
		j := p.i
		if c == '-' {
			j++
		}
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		v, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad integer %q", p.s[p.i:j])
		}
		if j < len(p.s) && (p.s[j] == 'L' || p.s[j] == 'l') {
			j++
		}
		p.i = j
		return v, nil
	default:
		for _, kw := range []struct {
			s string
			v any
		}{{"True", true}, {"False", false}, {"None", nil}} {
			if strings.HasPrefix(p.s[p.i:], kw.s) {
				p.i += len(kw.s)
				return kw.v, nil
			}
		}
		return nil, fmt.Errorf("unexpected %q", p.s[p.i:min(len(p.s), p.i+10)])
	}
}

func pyRepr(v any) string {
	switch x := v.(type) {
	case string:
		return "'" + x + "'"
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	case map[string]any:
		return "{…}"
	}
	return fmt.Sprint(v)
}
