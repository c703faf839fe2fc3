# Completion driven by real zsh and fish (Debian's zsh and fish packages,
# installed by scripts/deps.sh), through the files in completion/ or
# installed ones. A test skips, naming the package, where one is missing.

need_shell() {
  command -v "$1" >/dev/null || skip "$1 is not installed (Debian package $1)"
}

# zsh_complete_at FPATHDIR LINE...: for each LINE, the buffer after one
# Tab (complete-word) in an interactive zsh on a pty (zsh/zpty) whose
# compinit found _rt in FPATHDIR: a unique candidate is inserted with its
# suffix (a space, or a '/' after a directory), an ambiguous one leaves the
# common prefix. One line of output per LINE.
zsh_complete_at() {
  local dir=$1 out="$BATS_TEST_TMPDIR/zsh-buffers"
  shift
  rm -f "$out"
  zsh -f -c '
    zmodload zsh/zpty
    dir=$1 out=$2; shift 2
    zpty z "zsh -f -i"
    zpty -w z "PS1= PROMPT_EOL_MARK=; fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
    zpty -w z "__dump() { zle complete-word; print -r -- \"\$BUFFER\" >> ${(q)out}; zle send-break; }; zle -N __dump; bindkey ^T __dump"
    n=0
    for line; do
      zpty -w -n z "$line"$'"'"'\x14'"'"'
      (( n++ ))
      for i in {1..200}; do
        [[ -f $out && $(wc -l < $out) -ge $n ]] && break
        sleep 0.05
      done
    done
    zpty -d z
  ' zsh_complete_at "$dir" "$out" "$@"
  cat "$out"
}

# fish_complete_at LINE: the candidates fish's own completion engine
# (complete -C) offers at the end of LINE, one a line, sorted, without
# descriptions; with no argument after LINE from completion/rt.fish, else
# from the files fish loads by itself with XDG_DATA_DIRS=$2 (a fish with
# its configuration, which sets its completion path, but a HOME of the
# test's).
fish_complete_at() {
  if [ $# -gt 1 ]; then
    local home="$BATS_TEST_TMPDIR/fish-home"
    mkdir -p "$home"
    HOME=$home XDG_CONFIG_HOME=$home/.config XDG_DATA_HOME=$home/.local/share XDG_DATA_DIRS=$2 \
      fish -c 'complete -C"$argv[1]"' "$1"
  else
    fish --no-config -c 'source $argv[2]; complete -C"$argv[1]"' "$1" \
      "$BATS_TEST_DIRNAME/../../completion/rt.fish"
  fi | cut -f1 | LC_ALL=C sort -u
}
