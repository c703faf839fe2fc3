// rt-run's heap mapped ahead, in place of page faults before the chain's
// fork (populate.cpp).
#pragma once

namespace rt::run {

// The heap's next pages, which every run writes: first thing in main.
void populate_heap();

}  // namespace rt::run
