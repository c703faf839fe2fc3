// Unit tests of image_ref.cpp: the printed forms of a reference name the
// image they were printed from.
#include "image_ref.hpp"

#include <doctest/doctest.h>

using namespace rt;

TEST_CASE("familiar(): docker's short names") {
  CHECK(parse_reference("alpine").familiar() == "alpine:latest");
  CHECK(parse_reference("docker.io/library/alpine:3").familiar() == "alpine:3");
  CHECK(parse_reference("user/app:1.0").familiar() == "user/app:1.0");
  CHECK(parse_reference("127.0.0.1:5000/a/b").familiar() == "127.0.0.1:5000/a/b:latest");
}

TEST_CASE("familiar(): a Docker Hub namespace that looks like a host keeps docker.io/ (found by make fuzz)") {
  // Without the prefix, "a.b/c" would be read as repository c on registry a.b.
  for (const char* s :
       {"docker.io/lindex.docker.iibrary/busyrcker.iox:latest", "docker.io/a.b/c", "docker.io/localhost/x"}) {
    CAPTURE(s);
    Reference r = parse_reference(s);
    CHECK(r.registry == "docker.io");
    CHECK(parse_reference(r.familiar()) == r);
  }
  CHECK(parse_reference("docker.io/a.b/c").familiar() == "docker.io/a.b/c:latest");
}
