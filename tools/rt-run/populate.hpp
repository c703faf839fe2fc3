// rt-run's own pages mapped ahead, in place of page faults on the way to
// the chain's fork and after its end, and its code's mappings given back
// while it waits as the supervisor (populate.cpp; the entry point that maps
// the binary is tool.mk's rt-run_ENTRY).
#pragma once

namespace rt::run {

// How long the supervisor waits with nothing to do before release_code():
// a container that ends sooner (a start-up benchmark's /bin/true) has its
// end path run on the mapped code.
inline constexpr int kSettleMs = 1000;

// The heap's next pages, which every run writes: first thing in main.
void populate_heap();
// The code's and read-only data's mappings dropped (MADV_DONTNEED; the
// page cache keeps them): a waiting supervisor's PSS without them.
void release_code();
// ... and mapped again (MADV_POPULATE_READ) in one call, once the
// container has ended, for the clean-up's code.
void populate_code();

}  // namespace rt::run
