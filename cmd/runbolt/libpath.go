package main

import "os"

// envUserLibraryPath is how runbolt hands over the LD_LIBRARY_PATH the user had before it
// put the interpreter's library directory in front (this binary names libpython by soname
// only; see docs/architecture.md). The loader has used the extended value by the time main
// runs; the embedded Python gets the user's own back, so the project's subprocesses see
// the environment they would see under manage.py.
const envUserLibraryPath = "BOLT_LD_LIBRARY_PATH"

// restoreLibraryPath gives this process the user's LD_LIBRARY_PATH again. Only workers
// call it: the supervisor keeps the extended value for the workers it starts.
func restoreLibraryPath() {
	user, ok := os.LookupEnv(envUserLibraryPath)
	if !ok {
		return
	}
	os.Unsetenv(envUserLibraryPath)
	if user == "" {
		os.Unsetenv("LD_LIBRARY_PATH")
	} else {
		os.Setenv("LD_LIBRARY_PATH", user)
	}
}
