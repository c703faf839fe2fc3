#!/usr/bin/env bats
# rt-repl in a real terminal: tmux runs the shell on a private server (its
# own socket in the test's directory; only that server is ever killed),
# send-keys types, capture-pane reads the screen.

bats_require_minimum_version 1.5.0
load helpers

setup() {
  rt_setup
  command -v tmux >/dev/null || skip "tmux is not installed (scripts/deps.sh)"
  R="$RT_ROOTFS"
  SOCK="$BATS_TEST_TMPDIR/tmux.0"
  export XDG_STATE_HOME="$BATS_TEST_TMPDIR/xdg"
  printf 'set -g remain-on-exit on\nset -g history-limit 2000\n' > "$BATS_TEST_TMPDIR/tmux.conf"
}

teardown() {
  tmux -S "$SOCK" kill-server 2>/dev/null || true
  rt_stop_leftovers
  rt_teardown
}

# rt-repl on a 100x30 terminal (a new server, or a new window of it).
shell_start() {
  local cmd="env RT_STATE='$RT_STATE' RT_ROOT='$RT_ROOT' RT_NETWORK=none RT_CONFIG='$RT_CONFIG' XDG_STATE_HOME='$XDG_STATE_HOME' PATH='$PATH' TERM=xterm rt-repl"
  if tmux -S "$SOCK" has-session 2>/dev/null; then
    tmux -S "$SOCK" kill-server
    # A new server on a socket of its own: one started on the old socket
    # while its server is still exiting fails ("server exited unexpectedly").
    SOCK="${SOCK%.*}.$((${SOCK##*.} + 1))"
  fi
  tmux -S "$SOCK" -f "$BATS_TEST_TMPDIR/tmux.conf" new-session -d -x 100 -y 30 "$cmd; echo \"[rt-repl exited \$?]\""
  wait_screen '^rt>'
}
screen() { tmux -S "$SOCK" capture-pane -p -t 0; }
last_line() { screen | grep -v '^$' | tail -1; }
keys() { tmux -S "$SOCK" send-keys -t 0 "$@"; }
screen_has() { screen | grep -qE -- "$1"; }
last_has() { last_line | grep -qE -- "$1"; }
# Wait (up to 10 s) until a screen line matches the regex.
wait_screen() {
  wait_until 100 screen_has "$1" 2>/dev/null && return 0
  echo "no line matches /$1/ on the screen:" >&2
  screen >&2
  return 1
}
# Wait until the last non-empty line matches.
wait_last() {
  wait_until 100 last_has "$1" 2>/dev/null && return 0
  echo "the last line does not match /$1/:" >&2
  screen >&2
  return 1
}
# rt-repl has exited with status $1.
wait_exit() { wait_screen "^\\[rt-repl exited $1\\]$"; }
start() {
  local name=$1; shift
  run rt-run -d --name "$name" --rootfs "$R" "$@"
  assert_success
}

@test "tty: Tab completes a command name, then Enter runs it" {
  shell_start
  keys 'vers' Tab
  wait_last '^rt> version$'
  keys Enter
  wait_screen '^rt-repl [0-9]+\.[0-9]+\.[0-9]+$'
  wait_last '^rt>$'
}

@test "tty: Tab lists the choices when several fit, completes flags; Ctrl-C abandons the line" {
  shell_start
  keys 'help st' Tab
  wait_screen '^stats +stop$'
  keys C-c
  wait_last '^rt>$'
  keys 'ps --a' Tab
  wait_last '^rt> ps --all$'
  keys 'some words' C-c
  wait_last '^rt>$'
  keys 'kill -s TE' Tab
  wait_last '^rt> kill -s TERM$'
}

@test "tty: Tab completes container names; stop offers only running ones" {
  start tty_web1 sleep 300
  run rt-run --name tty_web2 --rootfs "$R" true
  assert_success
  shell_start
  # what both share first, then (nothing more to add) the list
  keys 'inspect tty_w' Tab
  wait_last '^rt> inspect tty_web$'
  keys Tab
  wait_screen '^tty_web1 +tty_web2$'
  keys '1' Enter
  wait_screen '"name": "tty_web1"'
  keys 'stop tty_' Tab
  wait_last '^rt> stop tty_web1$'
  keys Enter
  wait_screen '^tty_web1$'
  wait_last '^rt>$'
  rt-repl rm tty_web1 tty_web2
}

@test "tty: an error prints one line and the shell goes on" {
  shell_start
  keys 'stop nosuch' Enter
  wait_screen '^rt-repl: stop: no such container: nosuch$'
  keys 'frobnicate' Enter
  wait_screen "^rt-repl: unknown command 'frobnicate' \(try 'help'\)$"
  keys 'version' Enter
  wait_screen '^rt-repl [0-9]'
  wait_last '^rt>$'
}

@test "tty: Ctrl-C during logs -f returns to the prompt; the shell survives" {
  start ticker sh -c 'while :; do echo tick; sleep 0.2; done'
  shell_start
  keys 'logs -f ticker' Enter
  wait_screen '^tick$'
  keys C-c
  wait_last '^rt>$'
  keys 'version' Enter
  wait_screen '^rt-repl [0-9]'
  # the container was not touched
  run rt-repl ps -q
  assert_output --regexp '^[0-9a-f]{12}$'
  rt-repl rm -f ticker
}

@test "tty: Ctrl-C during stop's grace period returns to the prompt; the container keeps running" {
  start stubborn sh -c 'trap "" TERM; while :; do sleep 0.2; done'
  shell_start
  keys 'stop -t 30 stubborn' Enter
  sleep 0.5
  keys C-c
  wait_screen 'interrupted: container stubborn has the signal but has not stopped yet'
  wait_last '^rt>$'
  run rt-repl ps
  assert_output --partial "Up "
  rt-repl rm -f stubborn
}

@test "tty: stats redraws in place until Ctrl-C" {
  start statme sleep 300
  shell_start
  keys 'stats' Enter
  wait_screen '^CONTAINER ID +NAME +CPU %'
  wait_screen ' statme '
  sleep 1.5
  # in place: still one header on the screen after several refreshes
  run bash -c "tmux -S '$SOCK' capture-pane -p -t 0 | grep -c '^CONTAINER ID'"
  assert_output 1
  keys C-c
  wait_last '^rt>$'
  rt-repl rm -f statme
}

@test "tty: Ctrl-C during a foreground run reaches the container; back to the prompt" {
  shell_start
  keys "run --rm --init --name fg --rootfs $R sleep 100" Enter
  # Running once the init forwards signals (rt-exec's ready byte): a
  # Ctrl-C from then on reaches the payload.
  wait_until 100 bash -c '[ -n "$(rt-repl ps -q)" ]'
  keys C-c
  wait_last '^rt>$'
  wait_until 100 bash -c '[ -z "$(rt-repl ps -aq)" ]'
  keys 'version' Enter
  wait_screen '^rt-repl [0-9]'
}

@test "tty: exec -it gives a shell prompt in the container; Ctrl-C goes inside; exit comes back" {
  start box -h ttybox sleep 300
  shell_start
  keys 'exec -it box sh' Enter
  wait_last '^/ #$'
  keys 'echo $((6*7)) $(hostname)' Enter
  wait_screen '^42 ttybox$'
  keys 'tty' Enter
  wait_screen '^/dev/pts/[0-9]+$'
  # Ctrl-C interrupts the command inside, not rt-repl
  keys 'sleep 4322' Enter
  wait_until 50 pgrep -f '^sleep 4322$'  # the shell runs it: Ctrl-C now is for it
  keys C-c
  wait_last '^/ #$'
  keys 'exit 3' Enter
  wait_last '^rt>$'
  keys 'version' Enter
  wait_screen '^rt-repl [0-9]'
  rt-repl rm -f box
}

@test "tty: Ctrl-D leaves with status 0, exit N with N" {
  shell_start
  keys C-d
  wait_exit 0
  shell_start
  keys 'exit 3' Enter
  wait_exit 3
}

@test "tty: history survives a restart: the up arrow recalls the last session's commands" {
  shell_start
  keys 'version' Enter
  wait_screen '^rt-repl [0-9]'
  keys 'help gc' Enter
  wait_screen '^Usage: gc$'
  keys C-d
  wait_exit 0
  assert_file_exists "$XDG_STATE_HOME/rt/history"
  shell_start
  keys Up
  wait_last '^rt> help gc$'
  keys Up
  wait_last '^rt> version$'
  keys Enter
  wait_screen '^rt-repl [0-9]'
}

@test "tty: clear clears the screen" {
  shell_start
  keys 'version' Enter
  wait_screen '^rt-repl [0-9]'
  keys 'clear' Enter
  wait_last '^rt>$'
  run bash -c "tmux -S '$SOCK' capture-pane -p -t 0 | grep -v '^\$'"
  assert_output 'rt>'
}

@test "tty: Ctrl-Z stops the shell; fg brings back the prompt with line editing working" {
  tmux -S "$SOCK" -f "$BATS_TEST_TMPDIR/tmux.conf" new-session -d -x 100 -y 30 \
    "env -i HOME='$BATS_TEST_TMPDIR' TERM=xterm PS1='sh\$ ' bash --norc --noprofile -i"
  wait_last '^sh\$'
  keys "env RT_STATE='$RT_STATE' RT_ROOT='$RT_ROOT' RT_NETWORK=none RT_CONFIG='$RT_CONFIG' XDG_STATE_HOME='$XDG_STATE_HOME' $RT_BIN/rt-repl" Enter
  wait_last '^rt>$'
  keys C-z
  wait_screen 'Stopped'
  wait_last '^sh\$'
  keys 'fg' Enter
  wait_last '^rt>$'
  # editing works (raw mode is back): Tab completes, Enter runs
  keys 'vers' Tab
  wait_last '^rt> version$'
  keys Enter
  wait_screen '^rt-repl [0-9]'
  keys C-d
  wait_last '^sh\$'
}
