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
  rt-repl gc >/dev/null 2>&1 || true
  rt_teardown
}

screen() { tmux -S "$SOCK" capture-pane -p -t t; }
screen_has() { screen | grep -q -- "$1"; }
keys() { tmux -S "$SOCK" send-keys -t t "$@"; }

start() {
  tmux -S "$SOCK" new-session -d -s t -x 100 -y 30 \
    "env PATH='$PATH' RT_STATE='$RT_STATE' RT_ROOT='$RT_ROOT' rt-run -it --rm -f '$RT_ROOTFS' /bin/sh; \
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
  keys 'sleep 100; echo after-sleep' Enter
  sleep 0.5
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
    "env PATH='$PATH' RT_STATE='$RT_STATE' RT_ROOT='$RT_ROOT' rt-run -t --rm -f '$RT_ROOTFS' /bin/sh -c 'tty; echo TERM=\$TERM'; echo EXIT=\$?; sleep 60"
  wait_until 100 screen_has 'EXIT=0'
  run screen
  # the pty (bound on /dev/console inside, as docker -t does)
  assert_line --regexp '^/dev/(console|pts/[0-9]+)$'
  assert_line TERM=xterm
}
