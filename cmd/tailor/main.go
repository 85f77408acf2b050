// Command tailor runs the TensorFlow Fashion-MNIST tutorial, and more, with
// Tailor: explore the data, plot images, print model summaries, train,
// evaluate and benchmark.
//
// Usage:
//
//	tailor <command> [flags]
//
// Run "tailor help" for the commands and "tailor <command> --help" for
// their flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// command is one subcommand of tailor.
type command struct {
	name, summary string
	run           func(ctx context.Context, env *env, args []string) error
}

// env is what a command reads and writes besides its flags.
type env struct {
	stdout, stderr io.Writer
}

func commands() []command {
	return []command{
		{"tutorial", "run the TensorFlow Fashion-MNIST tutorial from top to bottom", runTutorial},
		{"data", "explore the dataset: shapes, dtype, min, max, mean, labels", runData},
		{"show", "plot one image with a colour bar as a PNG or SVG", runShow},
		{"summary", "print a model's Keras-style summary", runSummary},
		{"train", "train a model, evaluate it and predict", runTrain},
		{"evaluate", "evaluate a saved model: loss, accuracy, per-class accuracy, confusion matrix", runEvaluate},
		{"predict", "predict the top classes of dataset images or PNG/JPEG files with a saved model", runPredict},
		{"report", "write one HTML page on how a saved model was trained and how it does", runReport},
		{"export", "export a saved model as ONNX, for ONNX Runtime, Triton or KServe", runExport},
		{"serve", "serve saved models over HTTP: the v2 inference protocol, a page to try them, metrics", runServe},
		{"bench", "measure SGEMM, training and prediction speed", runBench},
		{"version", "print Tailor's version and the commit it was built from", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal asks the command to stop where it can (the
		// batch under way, the checkpoint); a second ends the process at
		// once, as for any program, when a step does not heed the first
		// (a read from a pipe or a slow disk). Writes are atomic, so it
		// leaves no part-written file.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, &env{stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:]))
}

// run executes the command line args and returns the exit status: 0, 1
// for an error, 2 for bad usage, 130 when interrupted (SIGINT, SIGTERM).
// Every error line starts "tailor <command>: ".
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 2 && args[0] == "help" { // tailor help train, as go help build
		return run(ctx, e, []string{args[1], "--help"})
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		var stopped *interruptedError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		case errors.As(err, &stopped):
			fmt.Fprintf(e.stderr, "tailor %s: interrupted; %s\n", c.name, stopped.kept)
			return 130
		case errors.Is(err, context.Canceled) || ctx.Err() != nil:
			fmt.Fprintf(e.stderr, "tailor %s: interrupted; nothing was written\n", c.name)
			return 130
		default:
			fmt.Fprintf(e.stderr, "tailor %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "tailor: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return 2
}

// interruptedError reports a command stopped by SIGINT or SIGTERM, and
// what it kept.
type interruptedError struct {
	kept string // "the checkpoint in DIR: continue with ...", "nothing was written"
}

func (e *interruptedError) Error() string { return "interrupted; " + e.kept }

// interrupted returns the error for a command stopped having kept what
// kept describes.
func interrupted(kept string) error { return &interruptedError{kept: kept} }

// errUsage reports bad flags, which the flag package has already described.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "Tailor: Keras-style neural networks in pure Go.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: tailor <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "tailor <command> --help" for a command's flags.`)
}

// newFlags returns a flag set for a command, printing its usage to e.stderr.
func newFlags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("tailor "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tailor %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, turning flag errors into errUsage.
func parse(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fs, fmt.Sprintf("unexpected arguments: %v", fs.Args()))
	}
	return nil
}

// parseFlags is fs.Parse with the flag package's own message ("invalid
// value ...") given the command's prefix, like every other error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	var msg strings.Builder
	fs.SetOutput(&msg)
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return err
	}
	return usageError(fs, err.Error())
}

// parseWithArgs parses flags that may come before, between or after
// positional arguments (tailor predict model.tailor --index 0), and
// returns the positional ones in order.
func parseWithArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// usageError prints msg, prefixed with the command's name, and the
// command's usage, and returns errUsage.
func usageError(fs *flag.FlagSet, msg string) error {
	fmt.Fprintf(fs.Output(), "%s: %s\n", fs.Name(), msg)
	fs.Usage()
	return errUsage
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// positive checks that the flags given on the command line among names
// hold at least 1: a count of zero or less means nothing documented.
func positive(fs *flag.FlagSet, names ...string) error {
	for _, name := range names {
		f := fs.Lookup(name)
		if !flagSet(fs, name) {
			continue
		}
		if n, err := strconv.Atoi(f.Value.String()); err == nil && n < 1 {
			return usageError(fs, fmt.Sprintf("--%s %d: want at least 1", name, n))
		}
	}
	return nil
}
