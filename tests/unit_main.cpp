// The main() every unit-test program (common/*_test.cpp) links: doctest's.
// `make unit` builds one program per tested module and runs each.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
