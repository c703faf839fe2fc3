// Linux capabilities by raw syscalls (capget/capset/prctl): the name table,
// docker's default set, docker's --cap-add/--cap-drop arithmetic, and the
// calls that apply a set to the calling process.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rt::caps {

// A set of capabilities: bit N is capability N.
using Set = uint64_t;
inline constexpr Set bit(int cap) { return Set{1} << cap; }
inline constexpr bool has(Set s, int cap) { return (s & bit(cap)) != 0; }

// "CAP_CHOWN" for 0 ... "CAP_CHECKPOINT_RESTORE" for 40; nullptr beyond the table.
const char* name(int cap);
// The highest capability number this table knows.
int table_last();
// The highest capability number the running kernel knows (cap_last_cap).
int kernel_last();
// Every capability the kernel knows.
Set all_known();
// The set docker gives a container by default (14 capabilities).
Set docker_default();

// "chown", "CAP_CHOWN", "Cap_Chown" -> 0. Throws rt::Error naming `what`
// for an unknown name.
int parse_name(std::string_view s, std::string_view what);

// One --caps/--cap-add/--cap-drop value: a comma-separated list of names,
// or "ALL" (any case). `all` is set when ALL was given.
struct List {
  Set set = 0;
  bool all = false;
};
List parse_list(std::string_view s, std::string_view what);

// Docker's arithmetic (moby's TweakCapabilities): with ALL added, every
// capability but the dropped ones; with ALL dropped, only the added ones;
// otherwise base minus drops plus adds (an add after a drop of the same
// capability wins).
Set tweak(Set base, const List& add, const List& drop);

// "CAP_CHOWN,CAP_KILL" ("" for none).
std::string format(Set s);

// The calling thread's sets.
struct State {
  Set effective = 0, permitted = 0, inheritable = 0;
};
State get();                // throws rt::Error
void set(const State& st);  // throws rt::Error naming what was refused
Set bounding();             // by PR_CAPBSET_READ, one call a capability
// The capabilities of `of` in the bounding set: a PR_CAPBSET_READ for each
// of them only (a syscall each; bounding() makes one for every capability).
Set bounding_within(Set of);
Set ambient();  // by PR_CAP_AMBIENT_IS_SET
// Drop every capability of `current` (the bounding set as read before, or
// a superset of it) that is not in `keep` (needs CAP_SETPCAP; one that the
// set lacks is skipped even without). Throws rt::Error.
void limit_bounding(Set keep, Set current);
// Make the ambient set exactly `s` (each one must be permitted and
// inheritable). Throws rt::Error.
void set_ambient(Set s);

}  // namespace rt::caps
