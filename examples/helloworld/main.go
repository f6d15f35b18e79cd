// Command helloworld is DPDK's first example in dpkit: start the EAL from
// the command line and say hello from every lcore.
//
//	go run ./examples/helloworld -l 0-1
//	hello from core 1
//	hello from core 0
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/dpkit/dpkit/eal"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "helloworld:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if _, err := eal.InitArgs(args); err != nil {
		return err
	}
	defer eal.Cleanup()
	// Every worker lcore runs hello, then the main lcore does too.
	hello := func(lcore uint) error {
		fmt.Fprintf(out, "hello from core %d\n", lcore)
		return nil
	}
	if err := eal.LaunchOnAll(hello, true); err != nil {
		return err
	}
	return eal.WaitAll()
}
