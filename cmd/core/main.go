// Command core is built as the extension module django_bolt._core
// (go build -buildmode=c-shared): the Go pipeline loaded into an ordinary Python
// process, which the in-process test client drives (testapp.go, testapp.c). It must
// not link libpython: the interpreter that imports it provides the symbols.
package main

func main() {}
