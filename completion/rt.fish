# fish completion for the rt tools, from the same backend as the bash
# completion (completion/rt.bash): `rt-repl __complete WORD...` answers at
# each Tab with the options of the tables each tool's --help prints, container
# names and ids, image references, networks, signal and capability names;
# ":files" and ":commands" ask for fish's own file or command completion.
# The rt-repl beside the completed tool answers (the installed one, or a
# build's).
#
# Installed as PREFIX/share/fish/vendor_completions.d/rt-repl.fish with a
# link per tool (fish loads a command's file by its name on the first Tab),
# or: source it from ~/.config/fish/config.fish.

function __rt_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l tool $tokens[1]
    set -l repl rt-repl
    if string match -q -- '*/*' $tool
        set repl (string replace -r -- '/[^/]*$' '' $tool)/rt-repl
    else if set -l found (command -s -- $tool)
        set repl (string replace -r -- '/[^/]*$' '' $found)/rt-repl
    end
    # --flag=VALUE: complete VALUE as the flag's, offered with the flag before it
    set -l keep ''
    if string match -qr -- '^--[^=]+=' $cur
        set keep (string replace -r -- '=.*' '=' $cur)
        set -a tokens (string replace -r -- '=.*' '' $cur)
        set cur (string replace -r -- '^[^=]*=' '' $cur)
    end
    for line in ($repl __complete $tokens $cur 2>/dev/null)
        switch $line
            case :files
                for p in (__fish_complete_path $cur)
                    echo $keep$p
                end
            case :commands
                __fish_complete_command
            case '*'
                echo $keep$line
        end
    end
end

for tool in rt-cgroup rt-exec rt-mount rt-net rt-oci rt-pull rt-repl rt-run rt-systemd rt-unshare
    complete -c $tool -f -a '(__rt_complete)'
end
