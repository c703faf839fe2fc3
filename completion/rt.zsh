#compdef rt-cgroup rt-exec rt-mount rt-net rt-oci rt-pull rt-repl rt-run rt-systemd rt-unshare
# zsh completion for the rt tools, from the same backend as the bash
# completion (completion/rt.bash): `rt-repl __complete WORD...` answers at
# each Tab with the options of the tables each tool's --help prints, container
# names and ids, image references, networks, signal and capability names;
# ":files" and ":commands" ask for the shell's own file or command completion.
# The rt-repl beside the completed tool answers (the installed one, or a
# build's).
#
# Installed as _rt in zsh's function path (PREFIX/share/zsh/site-functions;
# the package: /usr/share/zsh/vendor-completions): compinit finds it. Or,
# before compinit in ~/.zshrc: fpath=(DIR-WITH-_rt $fpath).

local tool=${words[1]} repl line cur=$PREFIX
local -a args out plain nospace
if [[ $tool == */* ]]; then
  repl=${~tool:h}/rt-repl
elif (( $+commands[$tool] )); then
  repl=${commands[$tool]:h}/rt-repl
else
  repl=rt-repl
fi
args=("${(@Q)words[1,CURRENT-1]}")
# --flag=VALUE: complete VALUE as the flag's
if [[ $cur == --*=* ]]; then
  args+=("${cur%%=*}")
  IPREFIX+="${cur%%=*}="
  cur=${cur#*=}
  PREFIX=$cur
fi
out=("${(@f)$("$repl" __complete "${args[@]}" "${(Q)cur}" 2>/dev/null)}")
local files=0 cmds=0
for line in "${out[@]}"; do
  case $line in
    (:files) files=1 ;;
    (:commands) cmds=1 ;;
    # a value that goes on after its prefix (container:, seccomp=): no space
    (*[:=]) nospace+=("$line") ;;
    (?*) plain+=("$line") ;;
  esac
done
local ret=1
(( files )) && _files && ret=0
(( cmds )) && _command_names -e && ret=0
(( $#plain )) && compadd -a plain && ret=0
(( $#nospace )) && compadd -S '' -a nospace && ret=0
return ret
