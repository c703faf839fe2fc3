#!/usr/bin/env bats
# rt-run -it: a real terminal (tmux), the headline example of the project:
#   rt-run -it -f ROOTFS /bin/sh

load helpers

setup() {
  rt_setup
  SOCK="$BATS_TEST_TMPDIR/tmux.sock"
}

teardown() {
  tmux -S "$SOCK" kill-server 2>/dev/null || true
  rt_stop_leftovers
  rt_teardown
}

screen() { tmux -S "$SOCK" capture-pane -p -t "${T:-t}"; }
screen_has() { screen | grep -q -- "$1"; }
keys() { tmux -S "$SOCK" send-keys -t "${T:-t}" "$@"; }

start() {
  tmux -S "$SOCK" new-session -d -s t -x 100 -y 30 \
    "env PATH='$PATH' RT_STATE='$RT_STATE' RT_ROOT='$RT_ROOT' RT_NETWORK=none RT_CONFIG='$RT_CONFIG' rt-run -it --rm -f '$RT_ROOTFS' /bin/sh; \
     echo EXIT=\$?; stty -a | grep -o -- '-*icanon'; sleep 60"
  wait_until 100 screen_has '/ #'
}

@test "rt-run -it: a shell on a terminal; Ctrl-C, window size, exit status, terminal restored" {
  start
  keys 'echo $((6*7)) $(tty)' Enter
  wait_until 50 screen_has '^42 /dev/'
  # the container sees the window size, and follows a resize (SIGWINCH)
  keys 'stty size' Enter
  wait_until 50 screen_has '^30 100'
  tmux -S "$SOCK" resize-window -t t -x 120 -y 40
  sleep 0.3
  keys 'clear; stty size' Enter
  wait_until 50 screen_has '^40 120'
  # Ctrl-C reaches the container's foreground job, not rt-run
  keys 'sleep 4321; echo after-sleep' Enter
  wait_until 50 pgrep -f '^sleep 4321$'  # the shell runs it: Ctrl-C now is for it
  keys C-c
  wait_until 50 screen_has 'after-sleep'
  keys 'echo still-here' Enter
  wait_until 50 screen_has '^still-here'
  # the exit status passes through and the host terminal is cooked again
  keys 'exit 3' Enter
  wait_until 50 screen_has 'EXIT=3'
  run screen
  assert_line icanon
  [ -z "$(ls "$RT_STATE/containers")" ]
}

@test "rt-run -t: output on a terminal without -i; stdin is not read" {
  tmux -S "$SOCK" new-session -d -s t -x 80 -y 20 \
    "env PATH='$PATH' RT_STATE='$RT_STATE' RT_ROOT='$RT_ROOT' RT_NETWORK=none RT_CONFIG='$RT_CONFIG' rt-run -t --rm -f '$RT_ROOTFS' /bin/sh -c 'tty; echo TERM=\$TERM'; echo EXIT=\$?; sleep 60"
  wait_until 100 screen_has 'EXIT=0'
  run screen
  # the pty (bound on /dev/console inside, as docker -t does)
  assert_line --regexp '^/dev/(console|pts/[0-9]+)$'
  assert_line TERM=xterm
}

@test "rt-run -it failing for want of fds at any step: the terminal is cooked again, and nothing is left" {
  # Each limit makes a different step fail (the signalfd, the pipes, the
  # pidfd after the chain is forked and the terminal is raw, the chain's
  # own tools) or none; whichever it is, rt-run must undo what it did.
  tmux -S "$SOCK" new-session -d -s t -x 150 -y 50 \
    "env PATH='$PATH' RT_STATE='$RT_STATE' RT_ROOT='$RT_ROOT' sh -c '
       for n in \$(seq 8 24); do
         prlimit --nofile=\$n:\$n rt-run -it --rm -f $RT_ROOTFS /bin/true 2>/dev/null
         echo N=\$n rc=\$? \$(stty -a | grep -o -- -*icanon)
       done; echo DONE'; sleep 60"
  wait_until 600 screen_has 'DONE'
  run screen
  # every run ended cooked; some failed (the limits bite) and some ran
  refute_line --partial -- '-icanon'
  assert_line --regexp '^N=[0-9]+ rc=125 icanon$'
  assert_line --regexp '^N=[0-9]+ rc=0 icanon$'
  [ "$(grep -c '^N=' <<< "$output")" -eq 17 ]
  # the payload's status or rt-run's own failure, nothing else
  [ -z "$(grep -E '^N=' <<< "$output" | grep -vE '^N=[0-9]+ rc=(0|125) ')" ]
  # no record, name or writable layer left
  [ -z "$(find "$RT_STATE/containers" "$RT_STATE/names" "$RT_ROOT/containers" -mindepth 1 2>/dev/null)" ]
}

# A rootfs with tests/probes/tty-probe.c in it, built static.
probe_rootfs() {
  local d
  d=$(rootfs_copy)
  cc -O2 -static -o "$d/tty-probe" "$BATS_TEST_DIRNAME/../probes/tty-probe.c" ||
    skip "no static C compiler (cc -static)"
  echo "$d"
}
# Run a command in a new tmux session (the one screen and keys work on):
# rt's environment, then its exit status.
in_pane() {
  T=p$((${T#p} + 1))
  tmux -S "$SOCK" new-session -d -s "$T" -x 100 -y 30 \
    "env PATH='$PATH' RT_STATE='$RT_STATE' RT_ROOT='$RT_ROOT' RT_NETWORK=none RT_CONFIG='$RT_CONFIG' $1; echo EXIT=\$?; sleep 60"
}

@test "rt-run without -t: the caller's terminal is not the container's (no TIOCSTI into the caller's shell); Ctrl-C is passed on" {
  d=$(probe_rootfs)
  # Started from a terminal, with that terminal as stdout and stderr: a
  # payload with it as controlling terminal could push keystrokes into the
  # caller's shell, to run after it exits (bubblewrap's CVE-2017-5226).
  in_pane "rt-run --rm -f '$d' /tty-probe"
  wait_until 100 screen_has 'EXIT='
  run screen
  assert_line 'tty_nr=0'
  assert_line '/dev/tty: No such device or address'
  # no fd of the caller's terminal at all: pipes, relayed by rt-run
  assert_line 'fd 1: not a terminal'
  assert_line 'fd 2: not a terminal'
  assert_line 'EXIT=0'
  # the terminal's Ctrl-C reaches rt-run alone now: it passes it on
  in_pane "rt-run --rm -f '$RT_ROOTFS' sh -c 'trap \"echo got-INT; exit 7\" INT; echo ready; while :; do sleep 0.1; done'"
  wait_until 100 screen_has '^ready'
  keys C-c
  wait_until 50 screen_has '^EXIT=7'
  run screen
  assert_line --regexp 'got-INT$' 
  # stdin is still the caller's with -i
  in_pane "echo piped | rt-run -i --rm -f '$RT_ROOTFS' sh -c 'read x; echo got-\$x; cut -d\" \" -f7 /proc/self/stat'"
  wait_until 100 screen_has '^EXIT='
  run screen
  assert_line got-piped
  assert_line 0
}

@test "rt-repl exec without -t: no controlling terminal, no fd of the caller's terminal either; Ctrl-C is passed on" {
  d=$(probe_rootfs)
  rt-run -d --name tp -f "$d" sleep 300 > /dev/null
  in_pane "rt-repl exec -i tp /tty-probe"
  wait_until 100 screen_has 'EXIT='
  run screen
  assert_line 'tty_nr=0'
  assert_line '/dev/tty: No such device or address'
  # pipes, relayed by rt-repl, as rt-run's
  assert_line 'fd 0: not a terminal'
  assert_line 'fd 1: not a terminal'
  assert_line 'fd 2: not a terminal'
  assert_line 'EXIT=0'
  # The command cannot change the caller's terminal's modes (with its fds
  # it could, for as long as it runs: no job control stops a process
  # without a controlling terminal), and what is typed comes through -i.
  T=p9
  tmux -S "$SOCK" new-session -d -s "$T" -x 100 -y 30 \
    "env PATH='$PATH' RT_STATE='$RT_STATE' RT_ROOT='$RT_ROOT' rt-repl exec -i tp sh -c \
       'for fd in 0 1 2; do stty raw -echo <&\$fd 2>/dev/null && echo changed-via-\$fd; done; read x; echo got-\$x';
     echo EXIT=\$?; stty -a | grep -o -- '-*icanon'; sleep 60"
  keys 'typed' Enter
  wait_until 100 screen_has 'EXIT='
  run screen
  refute_output --partial changed-via
  assert_line got-typed
  assert_line EXIT=0
  assert_line icanon
  in_pane "rt-repl exec tp sh -c 'trap \"echo got-INT; exit 7\" INT; echo ready; while :; do sleep 0.1; done'"
  wait_until 100 screen_has '^ready'
  keys C-c
  wait_until 50 screen_has '^EXIT=7'
  run screen
  assert_line --regexp 'got-INT$' 
  rt-repl rm -f tp
}
