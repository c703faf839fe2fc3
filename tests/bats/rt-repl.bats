#!/usr/bin/env bats
# rt-repl in batch mode: every command as `rt-repl CMD ARGS` and as a
# script on stdin, against real containers (rt-run --rootfs) and, for
# images, a real local registry.

bats_require_minimum_version 1.5.0
load helpers
load registry

MAN="$BATS_TEST_DIRNAME/../../man/rt-repl.1"

setup_file() {
  registry_start
}

teardown_file() {
  registry_stop
}

setup() {
  rt_setup
  R="$RT_ROOTFS"
}

teardown() {
  rt_stop_leftovers
  rt_teardown
}

# A detached container running COMMAND... from the busybox rootfs.
start() {
  local name=$1; shift
  run rt-run -d --name "$name" --rootfs "$R" "$@"
  assert_success
}
# The container's record.
state() { rt-repl inspect "$1" | jq -r ".[0]$2"; }
is_exited() { [ "$(state "$1" .status)" = exited ]; }
# Wait until a container has printed "ready" (its traps are set).
ready() { wait_until 50 bash -c "rt-repl logs $1 | grep -qx ready"; }
# stderr has exactly one line
one_line_stderr() {
  [ "$(printf '%s\n' "$stderr" | grep -c .)" -eq 1 ] || { echo "stderr is not one line: $stderr" >&2; return 1; }
}

# ------------------------------------------------------------------ basics

@test "--help, --version and the man page: every option and every command's flags documented, lint clean" {
  run rt-repl --help
  assert_success
  assert_output --partial "Usage: rt-repl"
  check_help_matches_man rt-repl "$MAN"
  run mandoc -T lint -W warning "$MAN"
  assert_success
  assert_output ""
  run rt-repl --version
  assert_success
  assert_output --regexp '^rt-repl [0-9]+\.[0-9]+\.[0-9]+$'
  # Every command is in the man page, with every flag of its --help.
  for cmd in $(rt-repl help | awk '/^  [a-z]/ {print $1}' | tr '/' ' '); do
    grep -qE "^\.BR? $cmd( |\$)|\(or \" $cmd \"\)" "$MAN" || { echo "command $cmd missing from $MAN"; false; }
  done
  documented=$(man_options "$MAN")
  for cmd in ps ls images stop kill rm rmi exec logs inspect stats info; do
    for opt in $(rt-repl "$cmd" --help | grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' | sort -u); do
      grep -qxF -- "$opt" <<<"$documented" || { echo "$cmd $opt missing from $MAN"; false; }
    done
  done
}

@test "help lists every command; help CMD and CMD --help show its usage; help for run shows rt-run's flags" {
  run rt-repl help
  assert_success
  for c in help info version ps ls/list images run pull stop kill rm rmi exec logs inspect stats gc clear exit/quit; do
    assert_line --regexp "^  $c +[a-z]"
  done
  run rt-repl help stop
  assert_success
  assert_line "Usage: stop [-t SECONDS] [-s SIGNAL] CONTAINER..."
  assert_output --partial "[ --time ] SECONDS"
  run rt-repl stop --help
  assert_success
  assert_line "Usage: stop [-t SECONDS] [-s SIGNAL] CONTAINER..."
  run rt-repl help run
  assert_success
  assert_output --partial "Usage: rt-run"
  assert_output --partial "--rootfs"
  run --separate-stderr rt-repl help nosuch
  assert_equal "$status" 125
  assert_equal "$stderr" "rt-repl: help: unknown command 'nosuch' (try 'help')"
}

@test "version: the same as --version, as a command and in a script" {
  run rt-repl version
  assert_success
  assert_output "$(rt-repl --version)"
  run rt-repl <<< "version"
  assert_success
  assert_output "$(rt-repl --version)"
}

@test "errors: unknown commands, flags and values give one line and 125, in both modes" {
  run --separate-stderr rt-repl frobnicate
  assert_equal "$status" 125
  assert_equal "$stderr" "rt-repl: unknown command 'frobnicate' (try 'help')"
  run --separate-stderr rt-repl ps --bogus
  assert_equal "$status" 125
  one_line_stderr
  assert_equal "$stderr" "rt-repl: ps: unrecognised option '--bogus' (try 'help ps')"
  run --separate-stderr rt-repl kill -s NOSIG x
  assert_equal "$status" 125
  one_line_stderr
  [[ "$stderr" == "rt-repl: kill: invalid signal 'NOSIG'"* ]]
  run --separate-stderr rt-repl stop -t soon x
  assert_equal "$status" 125
  one_line_stderr
  run --separate-stderr rt-repl logs --tail -3 x
  assert_equal "$status" 125
  one_line_stderr
  run --separate-stderr rt-repl exit 300
  assert_equal "$status" 125
  one_line_stderr
  run --separate-stderr rt-repl --bogus
  assert_equal "$status" 125
  one_line_stderr
  # In a script the error names the line.
  run --separate-stderr rt-repl <<'EOF'
# a comment, then a blank line

ps --bogus
EOF
  assert_equal "$status" 125
  assert_equal "$stderr" "rt-repl: line 3: ps: unrecognised option '--bogus' (try 'help ps')"
  # An open quote at the end of a script.
  run --separate-stderr rt-repl <<< "help 'stop"
  assert_equal "$status" 125
  assert_equal "$stderr" "rt-repl: line 1: unterminated quote or trailing backslash at the end of the script"
}

# ------------------------------------------------------------------ scripts

@test "script: stops at the first failure with its status; --keep-going runs on and returns the first failure" {
  start s1 sleep 300
  run --separate-stderr rt-repl <<'EOF'
ps -q
stop nosuch
rm -f s1
EOF
  assert_equal "$status" 125
  assert_equal "$stderr" "rt-repl: line 2: stop: no such container: nosuch"
  # line 3 did not run: s1 is still there and running
  run rt-repl ps --json
  assert_equal "$(echo "$output" | jq -r '.[0].name')" s1
  run --separate-stderr rt-repl --keep-going <<'EOF'
kill -s NOSIG s1
stop nosuch
rm -f s1
EOF
  assert_equal "$status" 125
  assert_equal "$(printf '%s\n' "$stderr" | wc -l)" 2
  assert_output s1
  run rt-repl ps -aq
  assert_output ""
  # exit N ends a script with N; what follows does not run
  run rt-repl <<'EOF'
version
exit 7
version
EOF
  assert_equal "$status" 7
  assert_output "$(rt-repl --version)"
  # a container's own failure stops the script too, with its status
  run rt-repl <<EOF
run --rm --rootfs "$R" sh -c 'exit 3'
version
EOF
  assert_equal "$status" 3
  assert_output ""
}

@test "script: quotes, backslashes, comments and continuation lines are split as sh does, and nothing is expanded" {
  cat > "$BATS_TEST_TMPDIR/script" <<'EOF'
   # indented comment
run --rm --rootfs @R@ printf '[%s]' 'single  quoted' "double \"q\" \$HOME" back\ slash $HOME "" end # a comment
run --rm --rootfs @R@ printf '[%s]' "two
lines" con\
tinued
EOF
  sed -i "s|@R@|$R|" "$BATS_TEST_TMPDIR/script"
  HOME=/should-not-appear run rt-repl < "$BATS_TEST_TMPDIR/script"
  assert_success
  assert_line --index 0 '[single  quoted][double "q" $HOME][back slash][$HOME][][end][two'
  assert_line --index 1 'lines][continued]'
}

@test "script: run and exec get /dev/null as stdin, so they cannot eat the script" {
  # more script than rt-repl reads at once: a command that read stdin would
  # get the rest of it (and `version` would never run)
  { printf 'run --rm -i --rootfs %s cat\n' "$R"
    for i in $(seq 300); do echo "# padding line $i ........................"; done
    echo version; } > "$BATS_TEST_TMPDIR/script"
  run rt-repl < "$BATS_TEST_TMPDIR/script"
  assert_success
  assert_output "$(rt-repl --version)"
  # one-shot: stdin is the caller's
  run bash -c "echo from-stdin | rt-repl run --rm -i --rootfs '$R' cat"
  assert_success
  assert_output from-stdin
  start n1 sleep 300
  sed -i "1s|.*|exec -i n1 cat|" "$BATS_TEST_TMPDIR/script"
  run rt-repl < "$BATS_TEST_TMPDIR/script"
  assert_success
  assert_output "$(rt-repl --version)"
  run bash -c 'echo from-stdin | rt-repl exec -i n1 cat'
  assert_success
  assert_output from-stdin
  rt-repl rm -f n1
}

# ------------------------------------------------------------------ run

@test "run: passes its arguments to rt-run untouched and returns the container's status" {
  run rt-repl run --rm --rootfs "$R" sh -c 'echo "a  b"; exit 4'
  assert_equal "$status" 4
  assert_output "a  b"
  run rt-repl <<EOF
run --rm --name scripted --rootfs "$R" -e X='x  y' sh -c 'echo "\$X" \$(hostname)'
EOF
  assert_success
  assert_output --regexp '^x  y [0-9a-f]{12}$'
  run -127 rt-repl run --rm --rootfs "$R" /nonexistent
  run rt-repl run -d --name r1 --rootfs "$R" sleep 300
  assert_success
  assert_output --regexp '^[0-9a-f]{64}$'
  id=$output
  run rt-repl ps -q
  assert_output "${id:0:12}"
  rt-repl rm -f r1
}

# ------------------------------------------------------------------ ps / ls

@test "ps and ls: docker's table, -a, -q, --no-trunc; ls is ps -a" {
  start web sleep 300
  run rt-run --name done1 --rootfs "$R" true
  assert_success
  run rt-repl ps
  assert_success
  assert_line --index 0 --regexp '^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$'
  assert_equal "${#lines[@]}" 2
  assert_line --index 1 --regexp "^[0-9a-f]{12} +$R +\"sleep 300\" +(Less than a second|[0-9]+ seconds?) ago +Up .* +web$"
  # the columns line up: NAMES starts at the same offset in every line
  h=${lines[0]%%NAMES*}; r=${lines[1]%%web}
  assert_equal "${#h}" "${#r}"
  run rt-repl ps -a
  assert_equal "${#lines[@]}" 3
  assert_line --regexp "\"true\" +.* +Exited \(0\) .* ago +done1$"
  run rt-repl ls
  assert_equal "${#lines[@]}" 3
  run rt-repl list -q
  assert_equal "${#lines[@]}" 2
  assert_line --regexp '^[0-9a-f]{12}$'
  run rt-repl ps -q --no-trunc
  assert_output "$(state web .id)"
  # long commands are cut to 20 characters, quoted
  start long1 sh -c 'sleep 300; echo this is a long command line'
  run rt-repl ps
  assert_line --regexp "\"sh -c sleep 300; ec…\" .* long1$"
  run rt-repl ps --no-trunc
  assert_line --partial '"sh -c sleep 300; echo this is a long command line"'
  # the same words in a script
  run rt-repl <<< "ps -a -q"
  assert_success
  assert_equal "${#lines[@]}" 3
  rt-repl rm -f web long1 done1
}

@test "ps --json: valid JSON with stable fields, for running and exited containers" {
  start j1 sleep 300
  run rt-run --name j2 --rootfs "$R" sh -c 'exit 3'
  assert_equal "$status" 3
  run rt-repl ps -a --json
  assert_success
  echo "$output" | jq -e 'length == 2'
  echo "$output" | jq -e '.[] | select(.name == "j1") | .status == "running" and (.pid > 0) and .exit_code == null
    and (.id | test("^[0-9a-f]{64}$")) and .command == ["sleep","300"] and .rootfs != "" and .image == ""
    and (.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")) and (.status_text | startswith("Up"))'
  echo "$output" | jq -e '.[] | select(.name == "j2") | .status == "exited" and .exit_code == 3 and .pid == 0
    and (.status_text | startswith("Exited (3)")) and .finished != ""'
  # ps without -a: only the running one; the pid is really the container's
  run rt-repl ps --json
  pid=$(echo "$output" | jq -r '.[0].pid')
  assert_equal "$(echo "$output" | jq length)" 1
  run cat /proc/$pid/cmdline
  assert_output --partial sleep
  run rt-repl <<< "ls --json"
  echo "$output" | jq -e 'length == 2'
  rt-repl rm -f j1 j2
}

# ------------------------------------------------------------------ stop / kill / rm

@test "stop: SIGTERM first (a trap sees it), then SIGKILL after -t seconds; prints the names" {
  start t1 sh -c 'trap "exit 3" TERM; echo ready; while :; do sleep 0.1; done'
  start t2 sleep 300
  ready t1
  run rt-repl stop t1
  assert_success
  assert_output t1
  assert_equal "$(state t1 .exit_code)" 3
  # sleep as PID 1 has no handler: SIGTERM does nothing, SIGKILL after 1 s
  run rt-repl stop -t 1 t2
  assert_success
  assert_output t2
  assert_equal "$(state t2 .exit_code)" 137
  # stopping a stopped container is fine; a missing one is an error, the rest go on
  start t3 sleep 300
  run --separate-stderr rt-repl stop --time 0 t1 nosuch t3
  assert_equal "$status" 125
  assert_equal "$stderr" "rt-repl: stop: no such container: nosuch"
  assert_output "t1
t3"
  is_exited t3
  # -s: another signal
  start t4 sh -c 'trap "exit 5" USR1; echo ready; while :; do sleep 0.1; done'
  ready t4
  run rt-repl <<< "stop -s USR1 t4"
  assert_success
  assert_equal "$(state t4 .exit_code)" 5
  rt-repl rm t1 t2 t3 t4
}

@test "kill: SIGKILL by default, -s for another signal; a stopped container is an error" {
  start k1 sleep 300
  start k2 sh -c 'trap "echo got-hup; exit 9" HUP; echo ready; while :; do sleep 0.1; done'
  ready k2
  run rt-repl kill k1
  assert_success
  assert_output k1
  wait_until 50 is_exited k1
  assert_equal "$(state k1 .exit_code)" 137
  run rt-repl <<< "kill --signal SIGHUP k2"
  assert_success
  wait_until 50 is_exited k2
  assert_equal "$(state k2 .exit_code)" 9
  run rt-repl logs k2
  assert_output "ready
got-hup"
  run --separate-stderr rt-repl kill k1
  assert_equal "$status" 125
  assert_equal "$stderr" "rt-repl: kill: container k1 is not running"
  rt-repl rm k1 k2
}

@test "rm: refuses a running container without -f; -f kills it; removes record, name and layer" {
  start m1 sleep 300
  bundle=$(state m1 .bundle)
  pid=$(state m1 .pid)
  assert_dir_exists "$bundle"
  assert_dir_exists "$bundle.work"
  run --separate-stderr rt-repl rm m1
  assert_equal "$status" 125
  assert_equal "$stderr" "rt-repl: rm: container m1 is running: stop it first, or use rm -f"
  run rt-repl rm -f m1
  assert_success
  assert_output m1
  assert_dir_not_exists "$bundle"
  assert_dir_not_exists "$bundle.work"
  run kill -0 "$pid"
  assert_failure
  run rt-repl ps -aq
  assert_output ""
  # the name is free again
  start m1 true
  wait_until 50 is_exited m1
  run rt-repl <<< "rm m1"
  assert_success
  run --separate-stderr rt-repl rm m1
  assert_equal "$status" 125
  assert_equal "$stderr" "rt-repl: rm: no such container: m1"
}

# ------------------------------------------------------------------ logs

@test "rm: a layer holding mode-000 directories is removed whole, even without CAP_DAC_OVERRIDE (as rootless)" {
  run rt-run --name m0 --rootfs "$R" sh -c 'mkdir -p /locked/inner && touch /locked/inner/f && chmod 000 /locked/inner /locked'
  assert_success
  bundle=$(state m0 .bundle)
  # the layer holds them: without the capability they cannot be listed
  [ "$(stat -c %a "$bundle/locked")" = 0 ]
  run setpriv --bounding-set=-dac_override,-dac_read_search ls "$bundle/locked"
  assert_failure
  run --separate-stderr setpriv --bounding-set=-dac_override,-dac_read_search rt-repl rm m0
  assert_success
  assert_equal "$stderr" ""
  assert_dir_not_exists "$bundle"
  assert_dir_not_exists "$bundle.work"
  run rt-repl ps -aq
  assert_output ""
}

@test "logs: stdout and stderr apart, --tail, -t timestamps, -f follows until the container exits" {
  start l0 sh -c 'echo out; echo err >&2'
  start l1 sh -c 'echo one; echo two; echo three'
  wait_until 50 is_exited l0
  wait_until 50 is_exited l1
  run --separate-stderr rt-repl logs l0
  assert_success
  assert_output out
  assert_equal "$stderr" err
  run rt-repl logs --tail 1 l1
  assert_output three
  run rt-repl logs -n 2 l1
  assert_output "two
three"
  run rt-repl logs l1
  assert_output "one
two
three"
  run rt-repl logs -t l1
  assert_line --index 0 --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z one$'
  # -f: prints what comes and returns when the container exits
  start l2 sh -c 'echo first; sleep 1; echo second'
  run rt-repl logs -f l2
  assert_success
  assert_output "first
second"
  run rt-repl <<< "logs --tail 1 l2"
  assert_output second
  # a foreground container has no log
  run rt-run --name fg1 --rootfs "$R" true
  run --separate-stderr rt-repl logs fg1
  assert_equal "$status" 125
  one_line_stderr
  rt-repl rm l0 l1 l2 fg1
}

@test "logs -f: SIGINT ends it with 130 (Ctrl-C)" {
  start lf sleep 300
  assert_equal "$(state lf .status)" running
  rt-repl logs -f lf > "$BATS_TEST_TMPDIR/out" 2>&1 &
  pid=$!
  # SIGINT is ignored in a background job until rt-repl installs its handler
  wait_until 100 catches_signal "$pid" 2
  kill -INT "$pid"
  wait "$pid" || st=$?
  assert_equal "${st:-0}" 130
  rt-repl rm -f lf
}

@test "wait: SIGINT ends it with 130 and one line; the container runs on; no further operand is waited for" {
  start wi sleep 300
  rt-repl wait wi wi > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
  pid=$!
  wait_until 100 catches_signal "$pid" 2
  kill -INT "$pid"
  wait "$pid" || st=$?
  assert_equal "${st:-0}" 130
  run cat "$BATS_TEST_TMPDIR/err"
  assert_output "rt-repl: wait: interrupted: container wi is still running"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" ""
  assert_equal "$(state wi .status)" running
  rt-repl rm -f wi
}

# ------------------------------------------------------------------ inspect

@test "inspect: a JSON array of container records; images too; missing names are errors" {
  start i1 sleep 300
  run rt-repl inspect i1
  assert_success
  echo "$output" | jq -e 'length == 1 and .[0].type == "container" and .[0].name == "i1" and .[0].running == true
    and .[0].status == "running" and (.[0].cgroup_paths | length > 0) and .[0].command == ["sleep","300"]'
  id=$(echo "$output" | jq -r '.[0].id')
  run rt-repl inspect --json "${id:0:8}"
  echo "$output" | jq -e '.[0].name == "i1"'
  run --separate-stderr rt-repl inspect i1 nosuch
  assert_equal "$status" 125
  assert_equal "$stderr" "rt-repl: inspect: no such container or image: nosuch"
  echo "$output" | jq -e 'length == 1'
  run --separate-stderr rt-repl inspect --type image i1
  assert_equal "$status" 125
  run --separate-stderr rt-repl inspect --type volume i1
  assert_equal "$status" 125
  one_line_stderr
  rt-repl rm -f i1
}

# ------------------------------------------------------------------ exec

@test "exec: runs in the container's namespaces and cgroup, as its user; status passes through" {
  start e1 -h ebox sleep 300
  run rt-repl exec e1 sh -c 'echo $(hostname); exit 7'
  assert_equal "$status" 7
  assert_output ebox
  # the pid namespace: sleep is PID 1 there
  run rt-repl exec e1 cat /proc/1/cmdline
  assert_success
  assert_output --partial sleep
  # the cgroup (namespace root = the container's cgroup): every line ends in ":/"
  run rt-repl exec e1 cat /proc/self/cgroup
  assert_success
  refute_line --regexp ':/.+$'
  # -e, -w, -u
  run rt-repl exec -e A=1 -e B='two words' -w /tmp -u 1234:5678 e1 sh -c 'echo "$A|$B|$(pwd)|$(id -u):$(id -g)"'
  assert_success
  assert_output "1|two words|/tmp|1234:5678"
  # not found, not running
  run -127 rt-repl exec e1 /nonexistent
  run rt-repl <<< "exec e1 sh -c 'exit 4'"
  assert_equal "$status" 4
  rt-repl stop -t 0 e1
  run --separate-stderr rt-repl exec e1 true
  assert_equal "$status" 125
  assert_equal "$stderr" "rt-repl: exec: container e1 is not running"
  run --separate-stderr rt-repl exec e1
  assert_equal "$status" 125
  one_line_stderr
  rt-repl rm e1
}

@test "exec -d: the command runs in the background and outlives rt-repl; not with -i or -t" {
  rt-run -d --name ed -f "$R" sleep 60 >/dev/null
  run rt-repl exec -d ed sh -c 'sleep 0.5; echo done > /tmp/mark; sleep 30'
  assert_success
  assert_output ""
  run rt-repl exec ed cat /tmp/mark
  assert_failure   # not yet: exec -d did not wait for it
  wait_until 50 rt-repl exec ed test -f /tmp/mark
  run rt-repl exec ed sh -c 'cat /tmp/mark; ps -o args | grep -c "^sleep 30"'
  assert_output "$(printf 'done\n1')"
  run rt-repl exec -d -t ed true
  assert_failure 125
  assert_output "rt-repl: exec: -d cannot be combined with -i or -t"
  rt-repl rm -f ed
}

@test "exec -t: the command gets a terminal of its own even without one here" {
  start et sleep 300
  # a pty of the container's own devpts: the command finds it at /dev/pts/N
  run rt-repl exec -t et sh -c 'tty; test -t 0 && echo stdin-is-a-tty; ls -1 /dev/pts'
  assert_success
  assert_line --index 0 --regexp '^/dev/pts/[0-9]+'
  assert_line --regexp '^stdin-is-a-tty'$'\r''?$'
  n=$(echo "${lines[0]}" | tr -d '\r'); n=${n#/dev/pts/}
  assert_line --regexp "^$n"$'\r'"?$"
  run --separate-stderr rt-repl exec -it et true < /dev/null
  assert_equal "$status" 125
  one_line_stderr
  rt-repl rm -f et
}

@test "exec -t: a /dev/ptmx the container replaced by a symlink to a host path is never opened" {
  start ep sleep 300
  # A host FIFO: whoever opens it releases the reader below, which then
  # leaves a mark. rt-repl, as host root, resolved the container's
  # /dev/ptmx -> /host/path in the host's root and opened it.
  mkfifo "$BATS_TEST_TMPDIR/fifo"
  (cat "$BATS_TEST_TMPDIR/fifo" > /dev/null && echo opened > "$BATS_TEST_TMPDIR/mark") &
  reader=$!
  rt-repl exec ep sh -c "rm /dev/ptmx && ln -s '$BATS_TEST_TMPDIR/fifo' /dev/ptmx"
  run rt-repl exec -t ep sh -c 'test -t 0 && echo has-a-tty'
  assert_success
  assert_output --regexp '^has-a-tty'
  sleep 0.3
  [ ! -e "$BATS_TEST_TMPDIR/mark" ]
  # a device node of the ptmx's numbers outside the devpts is no better
  rt-repl exec ep sh -c 'rm /dev/ptmx && mknod -m 666 /dev/ptmx c 5 2' || true
  run rt-repl exec -t ep sh -c 'test -t 0 && echo has-a-tty'
  assert_output --regexp '^has-a-tty'
  echo > "$BATS_TEST_TMPDIR/fifo"  # release the reader
  wait "$reader" || true
  rt-repl rm -f ep
}

@test "exec: joins the namespaces through fds of a pidfd-checked /proc/PID, never by a /proc/PID path" {
  start en sleep 300
  pid=$(state en .pid)
  rt-repl exec en sleep 30 &
  ex=$!
  wait_until 50 pgrep -f "^$RT_BIN/rt-unshare --join"
  run ps -eww -o args
  assert_line --regexp "^$RT_BIN/rt-unshare --join ipc=/proc/self/fd/[0-9]+ .*--join mnt=/proc/self/fd/[0-9]+ --join pid=/proc/self/fd/[0-9]+ -- "
  refute_output --partial "/proc/$pid/"
  # the joined namespaces are the container's
  run rt-repl exec en sh -c 'for n in mnt pid net; do readlink /proc/self/ns/$n; done'
  assert_output "$(for n in mnt pid net; do readlink /proc/$pid/ns/$n; done)"
  # and no fd of them reaches the command
  run rt-repl exec en ls /proc/self/fd
  assert_output "$(printf '0\n1\n2\n3')"  # 3: ls's own directory
  kill "$ex" 2>/dev/null || true
  rt-repl rm -f en
}

@test "exec: a container run with --security-opt seccomp=FILE is exec'd into under the same profile, kept root's alone" {
  # mkdir is denied; the profile on the host changes (and goes) after the
  # start: exec keeps what the container started with.
  prof="$BATS_TEST_TMPDIR/prof.json"
  echo '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}' > "$prof"
  start sp --security-opt "seccomp=$prof" sleep 300
  rm "$prof"
  run rt-repl exec sp sh -c 'mkdir /tmp/d'
  assert_failure
  assert_output --partial "Operation not permitted"
  run rt-repl exec sp sh -c 'grep Seccomp: /proc/self/status; echo ok > /tmp/f; cat /tmp/f'
  assert_success
  assert_line --regexp 'Seccomp:[[:space:]]+2'
  assert_line ok
  # the copy: in the state directory, root's alone
  id=$(state sp .id)
  run stat -c '%a %U' "$RT_STATE/containers/$id/seccomp.json"
  assert_output "600 root"
  # a container whose copy is gone is refused, not run unconfined
  rm "$RT_STATE/containers/$id/seccomp.json"
  run --separate-stderr rt-repl exec sp true
  assert_equal "$status" 125
  assert_equal "$stderr" "rt-repl: exec: container sp runs a seccomp profile of its own, but its copy $RT_STATE/containers/$id/seccomp.json cannot be opened (started by an older rt?): No such file or directory"
  # the default profile needs no copy
  start sd sleep 300
  [ ! -e "$RT_STATE/containers/$(state sd .id)/seccomp.json" ]
  run rt-repl exec sd sh -c 'grep Seccomp: /proc/self/status'
  assert_output --regexp 'Seccomp:[[:space:]]+2'
  rt-repl rm -f sp sd
}

@test "exec -w: a symlink to /proc/self/fd/N or /proc/PID/cwd never leads out of the container (CVE-2024-21626)" {
  start ew sleep 300
  rt-repl exec ew sh -c 'mkdir -p /srv/a; ln -s /srv/a /in; ln -s ../../../../srv /up;
    ln -s /proc/self/fd/7 /leak; ln -s /proc/1/cwd /cwd1; echo inside > /srv/a/f'
  # ordinary symlinks resolve inside the root, as before
  run rt-repl exec -w /in ew cat f
  assert_success
  assert_output inside
  run rt-repl exec -w /up ew pwd
  assert_output /srv
  # A host directory held open on fd 7 while the chain starts (the runc
  # leak): the workdir /leak -> /proc/self/fd/7 would put the command there,
  # outside the container's root, and .. leads to the host's /.
  mkdir -p "$BATS_TEST_TMPDIR/hostdir/x"
  : > "$BATS_TEST_TMPDIR/hostdir/host-file"
  run --separate-stderr rt-repl exec -w /leak ew sh -c 'pwd; ls' 7<"$BATS_TEST_TMPDIR/hostdir"
  refute_output --partial host-file
  assert_equal "$status" 125
  assert_equal "$stderr" "rt-exec: cannot change to working directory /leak (a symlink loop, or a link through /proc, which could lead out of the root): Too many levels of symbolic links"
  # any magic link is refused, even one that stays inside
  run --separate-stderr rt-repl exec -w /cwd1 ew pwd
  assert_equal "$status" 125
  # rt-run -w: the same rule for the container's first process
  d=$(rootfs_copy)
  ln -s /proc/self/fd/7 "$d/leak"
  run rt-run --rm -f "$d" -w /leak sh -c 'ls' 7<"$BATS_TEST_TMPDIR/hostdir"
  assert_failure 125
  refute_output --partial host-file
  rt-repl rm -f ew
}

# ------------------------------------------------------------------ stats

@test "stats --no-stream: one row per running container from its cgroup; --json fields" {
  start st1 -m 64m sh -c 'sleep 300 & sleep 300 & wait'
  start st2 sleep 300
  run rt-repl stats --no-stream
  assert_success
  assert_line --index 0 --regexp '^CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS$'
  assert_equal "${#lines[@]}" 3
  # the pids figure is the cgroup's: compare with the kernel's own file
  cg=$(state st1 '.cgroup_paths[]' | awk -F: '$2 ~ /(^|,)pids(,|$)/ {print $3}')
  [ -n "$cg" ] || skip "no pids cgroup recorded for the container (cgroup_paths: $(state st1 .cgroup_paths))"
  pids=$(cat "/sys/fs/cgroup/pids$cg/pids.current")
  [ "$pids" -ge 3 ]
  assert_line --regexp "^[0-9a-f]{12} +st1 +[0-9.]+% +[0-9.]+[KMG]?i?B / 64MiB +[0-9. ]+% \[[| ]{20}\] .* $pids$"
  run rt-repl stats --no-stream --json st1
  assert_success
  echo "$output" | jq -e --argjson pids "$pids" 'length == 1 and .[0].name == "st1" and .[0].running == true
    and .[0].memory_limit == 67108864 and .[0].memory_usage > 0 and .[0].pids == $pids
    and (.[0].cpu_percent | type) == "number" and (.[0].memory_percent | type) == "number"
    and (.[0].block_read | type) == ("number", "null") and .[0].net_rx == 0 and .[0].net_tx == 0'
  # memory: the cgroup's own usage file, give or take what changed meanwhile
  mcg=$(state st1 '.cgroup_paths[]' | awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}')
  if [ -n "$mcg" ] && [ -f "/sys/fs/cgroup/memory$mcg/memory.limit_in_bytes" ]; then
    assert_equal "$(cat "/sys/fs/cgroup/memory$mcg/memory.limit_in_bytes")" 67108864
  fi
  run rt-repl <<< "stats --no-stream --json st2"
  echo "$output" | jq -e '.[0].name == "st2" and .[0].memory_limit == null and .[0].pids >= 1' 
  # stopped containers: not listed, unless -a (empty row)
  rt-repl stop -t 0 st2
  run rt-repl stats --no-stream --json
  echo "$output" | jq -e 'length == 1'
  run rt-repl stats --no-stream -a --json
  echo "$output" | jq -e 'length == 2 and (.[] | select(.name == "st2") | .running == false and .pids == null)'
  run --separate-stderr rt-repl stats --no-stream nosuch
  assert_equal "$status" 125
  one_line_stderr
  rt-repl rm -f st1 st2
}

@test "stats: streams a table a second when not on a terminal, until SIGINT (130)" {
  start ss sleep 300
  rt-repl stats > "$BATS_TEST_TMPDIR/out" 2>&1 &
  pid=$!
  wait_until 100 bash -c "[ \$(grep -c '^CONTAINER ID' '$BATS_TEST_TMPDIR/out') -ge 2 ]"
  kill -INT "$pid"
  wait "$pid" || st=$?
  assert_equal "${st:-0}" 130
  run grep -c ' ss ' "$BATS_TEST_TMPDIR/out"
  [ "$output" -ge 2 ]
  # no terminal, no escape sequences
  run grep -c $'\033' "$BATS_TEST_TMPDIR/out"
  assert_output 0
  rt-repl rm -f ss
}

# ------------------------------------------------------------------ info / gc / clear

@test "info: kernel, cgroup layout, namespaces, stores and counts; --json" {
  start in1 sleep 300
  run rt-run --name in2 --rootfs "$R" true
  run rt-repl info
  assert_success
  assert_line "Kernel:          $(uname -r) ($(uname -m))"
  assert_line --regexp '^Cgroups: +(v1|v2|hybrid)$'
  assert_line --regexp '^Namespaces: .*\bpid\b'
  assert_line --partial "State store:     $RT_STATE ("
  assert_line --partial "Image store:     $RT_ROOT ("
  assert_line --regexp '^  Running: +1$'
  assert_line --regexp '^  Stopped: +1$'
  run rt-repl info --json
  assert_success
  echo "$output" | jq -e --arg k "$(uname -r)" --arg s "$RT_STATE" --arg r "$RT_ROOT" '
    .kernel == $k and .state_root == $s and .image_root == $r and .rootless == false
    and (.cgroup.mode | IN("v1","v2","hybrid")) and (.cgroup.controllers | index("memory") != null)
    and (.namespaces | index("pid") != null and index("mnt") != null)
    and .containers == {"total":2,"running":1,"stopped":1} and .images == 0 and .state_size > 0
    and (.version | test("^[0-9]+\\.[0-9]+\\.[0-9]+$"))'
  # the namespaces are the kernel's
  for ns in $(ls /proc/self/ns | grep -v _for_children); do
    echo "$output" | jq -e --arg n "$ns" '.namespaces | index($n) != null'
  done
  run rt-repl <<< "info --json"
  echo "$output" | jq -e '.containers.total == 2'
  rt-repl rm -f in1 in2
}

@test "gc: a container whose supervisor died is marked exited and its processes killed" {
  start g1 sleep 300
  assert_equal "$(state g1 .status)" running
  sup=$(state g1 .supervisor)
  pid=$(state g1 .pid)
  kill -9 "$sup"
  wait_until 50 bash -c "! kill -0 $sup 2>/dev/null"
  run rt-repl gc
  assert_success
  assert_line --regexp '^image store: [0-9]+ blobs, [0-9]+ layers, [0-9]+ temporary files freed'
  wait_until 50 bash -c "! kill -0 $pid 2>/dev/null"
  run rt-repl ps -a --json
  echo "$output" | jq -e '.[0].name == "g1" and .[0].status == "exited"'
  run rt-repl <<< "gc"
  assert_success
  rt-repl rm g1
}

@test "clear and exit: clear prints nothing off a terminal; exit N is the status" {
  run rt-repl clear
  assert_success
  assert_output ""
  run rt-repl exit 3
  assert_equal "$status" 3
  run rt-repl quit
  assert_success
  run rt-repl <<< "clear"
  assert_success
  assert_output ""
}

# ------------------------------------------------------------------ images (a real registry)

@test "pull, images, inspect, run an image, rmi: through a local registry" {
  registry_push_busybox repl/busybox:1
  run rt-repl pull -q "$REGISTRY/repl/busybox:1"
  assert_success
  assert_output --regexp '^sha256:[0-9a-f]{64}$'
  id=$output
  run rt-repl images
  assert_success
  assert_line --index 0 --regexp '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$'
  assert_line --index 1 --regexp "^$REGISTRY/repl/busybox +1 +${id:7:12} +.* ago +[0-9.]+[kMG]?B$"
  run rt-repl images -q
  assert_output "${id:7:12}"
  run rt-repl images --no-trunc -q
  assert_output "$id"
  run rt-repl images --json
  echo "$output" | jq -e --arg id "$id" --arg ref "$REGISTRY/repl/busybox:1" '
    length == 1 and .[0].id == $id and .[0].reference == $ref and .[0].repository == ($ref | rtrimstr(":1"))
    and .[0].tag == "1" and .[0].size > 0 and .[0].complete == true and (.[0].created | test("T"))
    and (.[0].manifest_digest | startswith("sha256:"))'
  run rt-repl inspect "$REGISTRY/repl/busybox:1"
  assert_success
  echo "$output" | jq -e --arg id "$id" '.[0].type == "image" and .[0].id == $id and .[0].config.cmd == ["sh"]
    and (.[0].config.env | index("RT_IMAGE=busybox") != null) and .[0].config.workdir == "/root"
    and (.[0].layers | length == 1) and .[0].architecture != ""'
  # one shape: rt-pull --inspect prints the same object, without "type"
  assert_equal "$(echo "$output" | jq -S '.[0] | del(.type)')" "$(rt-pull --inspect "$REGISTRY/repl/busybox:1" | jq -S .)"
  run rt-repl info --json
  echo "$output" | jq -e '.images == 1 and .image_size > 0'
  # run by image: the image's Env and WorkingDir apply
  run rt-repl run --rm "$REGISTRY/repl/busybox:1" sh -c 'echo $RT_IMAGE; pwd'
  assert_success
  assert_output "busybox
/root"
  # and a container of it shows the reference in ps
  run rt-repl run -d --name fromimage "$REGISTRY/repl/busybox:1" sleep 300
  assert_success
  run rt-repl ps
  assert_line --regexp "^[0-9a-f]{12} +$REGISTRY/repl/busybox:1 +\"sleep 300\" .* fromimage$"
  # an image in use cannot be removed without -f
  run --separate-stderr rt-repl rmi "$REGISTRY/repl/busybox:1"
  assert_equal "$status" 125
  one_line_stderr
  rt-repl rm -f fromimage
  # a second tag, then rmi
  run rt-repl <<< "pull -q $REGISTRY/repl/busybox:1"
  assert_success
  run --separate-stderr rt-repl rmi "$REGISTRY/repl/busybox:1"
  assert_success
  assert_line "Untagged: $REGISTRY/repl/busybox:1"
  assert_line --partial "Deleted: $id"
  run rt-repl images -q
  assert_output ""
  run --separate-stderr rt-repl rmi "$REGISTRY/repl/busybox:1"
  assert_equal "$status" 125
  one_line_stderr
  # gc frees what the image left
  run rt-repl gc
  assert_success
}

@test "pull: a failing pull gives rt-pull's status and message" {
  run --separate-stderr rt-repl pull -q "$REGISTRY/repl/does-not-exist:1"
  assert_failure
  [ "$status" -ne 0 ]
  [ -n "$stderr" ]
  run rt-repl images -q
  assert_output ""
}
