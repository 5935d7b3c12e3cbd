// Command lpz: a language, interpreter, REPL and genetic-programming search
// engine for zero-cost proxies of language-model architectures.
package main

import (
	"os"

	"lpz/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
