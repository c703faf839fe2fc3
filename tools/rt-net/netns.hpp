// A network namespace held open by a bind mount of its nsfs file, as
// `ip netns add` does, but under rt's state directory.
#pragma once
#include <string>

namespace rt::net {

// Create a new network namespace (lo up) and bind-mount it on PATH, which
// must not exist. The calling process stays in its own namespace. Throws
// rt::Error; on failure nothing is left.
void make_netns(const std::string& path);
// Unmount PATH and remove it; a missing or unmounted PATH is no error.
void remove_netns(const std::string& path);
// True when PATH is a network namespace (an nsfs file of type net).
bool is_netns(const std::string& path);

}  // namespace rt::net
