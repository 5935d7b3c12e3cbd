package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The signal tests run lpz as a real process (this test binary re-executed
// with LPZ_TEST_MAIN set runs Main on its arguments) and send it real
// signals, as a user at a terminal or a batch system would.

const testMainEnv = "LPZ_TEST_MAIN"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(testMainEnv); ok {
		os.Exit(Main(strings.Split(args, "\x1f"), &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	os.Exit(m.Run())
}

// lockedBuffer is a bytes.Buffer safe to read while a process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type lpzProcess struct {
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
}

func startLPZ(t *testing.T, args ...string) *lpzProcess {
	t.Helper()
	p := &lpzProcess{cmd: exec.Command(os.Args[0]), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	p.cmd.Env = append(os.Environ(), testMainEnv+"="+strings.Join(args, "\x1f"))
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill() })
	return p
}

// waitFor waits until stderr contains marker.
func (p *lpzProcess) waitFor(t *testing.T, marker string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(p.stderr.String(), marker) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q on stderr after 2 minutes:\n%s", marker, p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends sig and returns the exit status.
func (p *lpzProcess) stop(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("still running 2 minutes after %v:\n%s", sig, p.stderr.String())
	}
	code := p.cmd.ProcessState.ExitCode()
	if out := p.stdout.String() + p.stderr.String(); strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
		t.Fatalf("a Go panic reached the user:\n%s", out)
	}
	return code
}

func TestSignalStopsSearchWithReportAndCheckpoint(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "run.ckpt")
	args := []string{"search", "--bench", "nano", "--sample", "20", "--gens", "100000000", "--cache", filepath.Join(dir, "cache"), "--checkpoint", ckpt, "--checkpoint-every", "1000000"}
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		p := startLPZ(t, args...)
		p.waitFor(t, "gen ")
		time.Sleep(300 * time.Millisecond)
		if code := p.stop(t, c.sig); code != c.code {
			t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", c.sig, code, c.code, p.stdout, p.stderr)
		}
		out := p.stdout.String()
		for _, want := range []string{"winner:      proxy searched = ", "sample (20): ρ ", "interrupted: the search stopped after generation ", "--resume " + ckpt, "next: lpz rank "} {
			if !strings.Contains(out, want) {
				t.Fatalf("%v: stdout lacks %q:\n%s", c.sig, want, out)
			}
		}
		if !strings.Contains(p.stderr.String(), "interrupted by "+signalName(c.sig)) {
			t.Fatalf("%v: stderr:\n%s", c.sig, p.stderr)
		}
		// The checkpoint resumes: a few more generations finish normally.
		gen, err := strconv.Atoi(regexp.MustCompile(`after generation (\d+)`).FindStringSubmatch(out)[1])
		if err != nil {
			t.Fatal(err)
		}
		resumed := append(append([]string{}, args...), "--resume", ckpt, "--quiet")
		resumed[6] = strconv.Itoa(gen + 3) // --gens
		rout, rerr, code := lpz(t, "", resumed...)
		if code != 0 || !strings.Contains(rout, "(stopped: gens)") {
			t.Fatalf("resuming at generation %d: exit %d\n%s\n%s", gen, code, rout, rerr)
		}
	}
}

// rank, table and capture stop on a signal with what they finished; the
// exit status says which signal.
func TestSignalStopsRankTableCapture(t *testing.T) {
	onNano := []string{"--bench", "nano", "--cache"} // + a fresh cache directory
	for _, c := range []struct {
		name   string
		args   []string
		out    string // on stdout when anything was finished
		marker string // on stderr before the signal is sent ("": after a second)
	}{
		{"rank", append([]string{"rank", "sum(fro(G))", "--workers", "1"}, onNano...), "spearman rho", ""},
		{"table", append([]string{"table", "--workers", "1", "--only", "grad_norm,no_params"}, onNano...), "grad_norm", ""},
		{"capture", append([]string{"capture"}, onNano...), "captured ", ""},
		{"ablation", append([]string{"search", "--ablation", "strategy", "--seeds", "50", "--gens", "40", "--sample", "20"}, onNano...), "strategy random", "strategy random seed 43:"},
		{"bench build", []string{"bench", "build", "--space", "nano", "--n", "3", "--steps", "400", "--text", "../bench/nano/text.txt", "--quiet", "--out"}, "benchmark", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{}, c.args...), filepath.Join(t.TempDir(), "out"))
			p := startLPZ(t, args...)
			if c.marker != "" {
				p.waitFor(t, c.marker)
			} else {
				time.Sleep(time.Second)
			}
			code := p.stop(t, syscall.SIGINT)
			if code == 0 {
				t.Skipf("finished within a second, before the signal")
			}
			if code != 130 || !strings.Contains(p.stderr.String(), "interrupted by SIGINT (Ctrl-C)") {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, p.stdout, p.stderr)
			}
			if out := p.stdout.String(); out != "" && !strings.Contains(out, c.out) {
				t.Fatalf("partial output lacks %q:\n%s", c.out, out)
			}
			t.Logf("stdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
			if !strings.Contains(p.stderr.String(), "run the same command again") && !strings.Contains(p.stderr.String(), "the same command repeats") {
				t.Fatalf("no word on how to resume:\n%s", p.stderr)
			}
		})
	}
}

// The first signal cancels the command's context with the signal as its
// cause; a second one exits at once with 128 + its number.
func TestSecondSignalQuitsAtOnce(t *testing.T) {
	oldNotify, oldExit := notifySignals, exitNow
	defer func() { notifySignals, exitNow = oldNotify, oldExit }()
	var sigs chan<- os.Signal
	notifySignals = func(c chan<- os.Signal) func() {
		sigs = c
		return func() {}
	}
	exited := make(chan int, 1)
	exitNow = func(code int) { exited <- code }
	var stderr lockedBuffer
	ctx, stop := interruptible(&stderr)
	defer stop()
	sigs <- syscall.SIGTERM
	<-ctx.Done()
	if !stoppedBySignal(ctx) {
		t.Fatal("the context's cause is not the signal")
	}
	err := interrupted(ctx, "kept %d", 3)
	if ie, ok := err.(*interruptError); !ok || ie.code() != 143 || !strings.Contains(err.Error(), "SIGTERM") || !strings.Contains(err.Error(), "kept 3") {
		t.Fatalf("interrupted: %v", err)
	}
	sigs <- syscall.SIGINT
	select {
	case code := <-exited:
		if code != 130 {
			t.Fatalf("second signal exits %d, want 130", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a second signal did not quit")
	}
	if !strings.Contains(stderr.String(), "again: quitting now") {
		t.Fatalf("stderr: %s", stderr.String())
	}
}
