# bash completion for the rt tools (rt-run, rt-repl, rt-pull, rt-net, rt-oci,
# rt-cgroup, rt-unshare, rt-mount, rt-exec).
#
# The candidates come from `rt-repl __complete WORD...` at completion time
# (tools/rt-repl/completion.cpp): options from the same tables each tool's
# --help prints, container names and ids, image references, networks,
# signal and capability names. Nothing here can drift from the tools. The
# rt-repl beside the completed tool answers (the installed one, or a build's).
#
# Installed as share/bash-completion/completions/rt-repl, with a link per
# tool (bash-completion loads it on the first Tab after any of them); or
# source it from ~/.bashrc. Needs no bash-completion functions.

_rt_complete() {
  local tool=${COMP_WORDS[0]} repl line w i sp rest
  # rt-repl from the completed tool's directory
  if [[ $tool == */* ]]; then
    repl=${tool%/*}/rt-repl
  else
    repl=$(type -P "$tool") && repl=${repl%/*}/rt-repl || repl=rt-repl
  fi
  # The words as typed: bash splits "container:x" and "--net=x" at : and =
  # (COMP_WORDBREAKS); glue back what touches in the line.
  local -a words=()
  local text=${COMP_LINE:0:COMP_POINT} pos=0
  for ((i = 0; i <= COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    rest=${text:pos}
    sp=${rest%%[![:space:]]*}
    pos=$((pos + ${#sp}))
    if ((i > 0 && ${#sp} == 0 && ${#words[@]} > 0)); then words[-1]+=$w; else words+=("$w"); fi
    pos=$((pos + ${#w}))
  done
  local cur=${words[-1]}
  unset 'words[-1]'
  # --flag=VALUE: complete VALUE as the flag's
  if [[ $cur == --*=* ]]; then
    words+=("${cur%%=*}")
    cur=${cur#*=}
  fi
  # what bash replaces: the part of cur after its last word-break character
  local keep=""
  if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then keep=${cur%"${cur##*:}"}; fi
  COMPREPLY=()
  local -a out
  mapfile -t out < <("$repl" __complete "${words[@]}" "$cur" 2>/dev/null)
  for line in "${out[@]}"; do
    case $line in
      :files)
        compopt -o filenames 2>/dev/null
        mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
        ;;
      :commands)
        mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -c -- "$cur")
        ;;
      *) COMPREPLY+=("${line#"$keep"}") ;;
    esac
  done
  # a value that goes on after its prefix (container:, seccomp=, net=): no space
  if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *[:=] ]]; then
    compopt -o nospace 2>/dev/null
  fi
  return 0
}

complete -F _rt_complete rt-cgroup rt-exec rt-mount rt-net rt-oci rt-pull rt-repl rt-run rt-systemd rt-unshare
