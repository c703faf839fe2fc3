// Where rt keeps things (see rt(7), FILES).
#pragma once
#include <string>

namespace rt {

// Container state: RT_STATE; else /run/rt as root; else $XDG_RUNTIME_DIR/rt
// (/tmp/rt-UID/rt without it: only when /tmp/rt-UID is this user's own
// directory, not a symlink; made 0700. Throws rt::Error otherwise).
std::string default_state_root();
// The image store and containers' writable layers: RT_ROOT; else
// /var/lib/rt as root; else $XDG_DATA_HOME/rt, ~/.local/share/rt, or
// /tmp/rt-UID/data without HOME (checked as above).
std::string default_image_root();

// Configuration (network conflists in networks/): RT_CONFIG; else /etc/rt
// as root; else $XDG_CONFIG_HOME/rt or ~/.config/rt (/tmp/rt-UID/config
// without HOME, checked as above).
std::string default_config_root();

// The directory of the running program (/proc/self/exe): where the other
// rt tools are. Empty when it cannot be read.
std::string self_dir();

}  // namespace rt
