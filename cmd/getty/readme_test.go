package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeCommands returns the command lines of the ```sh block of README.md's
// "The command-line tool" section that run getty, as arguments (a trailing
// "# comment" removed; "source <(getty ...)" taken as the getty command).
func readmeCommands(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		cmds               [][]string
		section, inBlock   bool
		sawSection, closed bool
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			section = line == "## The command-line tool"
			sawSection = sawSection || section
		case section && line == "```sh" && !closed:
			inBlock = true
		case section && inBlock && line == "```":
			inBlock, closed = false, true
		case inBlock:
			line, _, _ = strings.Cut(line, "#")
			if inner, ok := strings.CutPrefix(strings.TrimSpace(line), "source <("); ok {
				line = strings.TrimSuffix(inner, ")")
			}
			if fields := strings.Fields(line); len(fields) > 0 && fields[0] == "getty" {
				cmds = append(cmds, fields[1:])
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !sawSection || len(cmds) < 5 {
		t.Fatalf("README.md: no ```sh block of getty commands under \"## The command-line tool\" (section found: %v, %d commands)", sawSection, len(cmds))
	}
	return cmds
}

// listsNothing matches an empty listing, as a table or as JSON.
var listsNothing = regexp.MustCompile(`(?m)^0 downloads$|, 0 of \d+ downloads$|"result_count": 0,`)

// TestREADMECommands runs the command lines README.md shows, as written,
// against `getty fake-server` with the variables it prints: each must
// succeed, and a listing must list something. The contract check names
// files of the reader's, so it must only parse (no usage error).
func TestREADMECommands(t *testing.T) {
	cmds := readmeCommands(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	ready := make(chan string, 1)
	a := &app{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" },
		isTerminal: func(io.Writer) bool { return false }, ready: func(u string) { ready <- u }}
	done := make(chan int, 1)
	go func() { done <- a.run(ctx, []string{"fake-server"}) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-ready:
	case code := <-done:
		t.Fatalf("fake-server exited %d: %s", code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("fake-server did not start")
	}
	// The variables, from the lines the reader is told to paste.
	env := map[string]string{}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if kv, ok := strings.CutPrefix(strings.TrimSpace(line), "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	if len(env) != 4 {
		t.Fatalf("fake-server printed %d variables:\n%s", len(env), stdout.String())
	}
	t.Chdir(t.TempDir())

	for _, args := range cmds {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			switch args[0] {
			case "fake-server":
				return // running above
			}
			r := runApp(t, env, false, args...)
			switch {
			case args[0] == "contract":
				if r.code == exitUsage {
					t.Fatalf("usage error: %q", r.stderr)
				}
			case r.code != exitOK:
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			case args[0] == "downloads" && listsNothing.MatchString(r.stdout):
				t.Errorf("lists nothing against the fake server:\n%s", r.stdout)
			}
		})
	}
}
