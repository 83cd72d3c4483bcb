// Command pause holds a pod's namespaces open: it is the first process of
// every pod sandbox on the test node (containerd's sandbox image). It sleeps
// until SIGTERM or SIGINT and, since it may be PID 1 of a pod that shares its
// process namespace, reaps every child that is handed to it.
//
// Built with CGO off, so the image needs nothing but this one static file.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range signals {
		if sig == syscall.SIGCHLD {
			reapChildren()
			continue
		}
		// Being told to stop is this program's normal end.
		os.Exit(0)
	}
}

// reapChildren collects every exited child without blocking: one SIGCHLD
// may stand for several exits.
func reapChildren() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
