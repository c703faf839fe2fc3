// Unit tests of registry_auth.cpp: WWW-Authenticate challenges, base64,
// the host of an "auths" key.
#include "registry_auth.hpp"

#include <doctest/doctest.h>

using namespace rt;

TEST_CASE("WWW-Authenticate: a Bearer challenge as registries send it") {
  auto cs = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].scheme == "bearer");
  CHECK(cs[0].params.size() == 3);
  CHECK(cs[0].params["realm"] == "https://auth.docker.io/token");
  CHECK(cs[0].params["service"] == "registry.docker.io");
  CHECK(cs[0].params["scope"] == "repository:library/busybox:pull");
}

TEST_CASE("WWW-Authenticate: case, blanks, tokens, escapes, commas in quotes") {
  auto cs = parse_www_authenticate(
      R"(BEARER  Realm = "http://127.0.0.1:5000/t" , Service=reg, scope="a:b,c:pull,push", x="q\"uote")");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].scheme == "bearer");
  CHECK(cs[0].params["realm"] == "http://127.0.0.1:5000/t");
  CHECK(cs[0].params["service"] == "reg");
  CHECK(cs[0].params["scope"] == "a:b,c:pull,push");
  CHECK(cs[0].params["x"] == "q\"uote");
}

TEST_CASE("WWW-Authenticate: several challenges in one header") {
  auto cs = parse_www_authenticate(R"(Basic realm="r1", Bearer realm="r2",service="s")");
  REQUIRE(cs.size() == 2);
  CHECK(cs[0].scheme == "basic");
  CHECK(cs[0].params["realm"] == "r1");
  CHECK(cs[1].scheme == "bearer");
  CHECK(cs[1].params["realm"] == "r2");
  CHECK(cs[1].params["service"] == "s");
  cs = parse_www_authenticate("Negotiate, Basic realm=x");
  REQUIRE(cs.size() == 2);
  CHECK(cs[0].scheme == "negotiate");
  CHECK(cs[0].params.empty());
  CHECK(cs[1].scheme == "basic");
  CHECK(cs[1].params["realm"] == "x");
}

TEST_CASE("WWW-Authenticate: empty and broken headers end without a crash") {
  CHECK(parse_www_authenticate("").empty());
  CHECK(parse_www_authenticate(" , ").empty());
  auto cs = parse_www_authenticate(R"(Bearer realm="unterminated)");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].params["realm"] == "unterminated");
  cs = parse_www_authenticate("Bearer realm=");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].params["realm"].empty());
}

TEST_CASE("base64 both ways") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("user:pass") == "dXNlcjpwYXNz");
  CHECK(base64_encode("ab") == "YWI=");
  CHECK(base64_decode("dXNlcjpwYXNz") == std::optional<std::string>("user:pass"));
  CHECK(base64_decode("YWI=") == std::optional<std::string>("ab"));
  CHECK(!base64_decode("*not base64*"));
}

TEST_CASE("auth_key_host: the host:port of an auths key") {
  CHECK(auth_key_host("https://index.docker.io/v1/") == "index.docker.io");
  CHECK(auth_key_host("127.0.0.1:5000") == "127.0.0.1:5000");
  CHECK(auth_key_host("http://127.0.0.1:5000/v2/") == "127.0.0.1:5000");
}
