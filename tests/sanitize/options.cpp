// Default sanitizer options of the MODE=asan build, linked into every tool
// there (never into a normal build). Compiled in rather than taken from
// ASAN_OPTIONS because the chain hands each tool an environment of its own
// choosing, so a variable set by the test would not reach every process.
// Variables a user sets still override these.
//
// Host tools (ASan + UBSan, dynamic): every report goes to a file
// RT_SANITIZER_LOG_DIR/asan.PID, where the suite looks after each test;
// the tool's stderr stays what the tests expect.
//
// Tools that run inside the container's root (UBSan alone, static): that
// directory is out of their reach after pivot_root, so a report goes to
// stderr and the tool stops at the first one (exit status 1), which the test
// that ran it sees.
#ifndef RT_SANITIZER_LOG_DIR
#error "RT_SANITIZER_LOG_DIR: the Makefile defines it (MODE=asan)"
#endif

#ifdef RT_SANITIZE_IN_ROOT
extern "C" const char* __ubsan_default_options() { return "print_stacktrace=1:halt_on_error=1"; }
#else
// detect_leaks=0: LeakSanitizer stops the world with ptrace from a thread
// that checks its pids against /proc, and dies with "LeakSanitizer has
// encountered a fatal error" (exit status 1) in any process whose pid
// namespace is not /proc's: every process of rt after rt-unshare --pid.
// rt's tools end by exec or exit within milliseconds; the leaks that matter
// (in rt-repl's and the supervisor's loops) would show as growth instead.
extern "C" const char* __asan_default_options() { return "log_path=" RT_SANITIZER_LOG_DIR "/asan:detect_leaks=0"; }
extern "C" const char* __ubsan_default_options() {
  return "log_path=" RT_SANITIZER_LOG_DIR "/asan:print_stacktrace=1:halt_on_error=0";
}
#endif
