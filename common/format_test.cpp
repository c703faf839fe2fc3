// Unit tests of format.cpp: sizes, durations and escapes as docker prints them.
#include "format.hpp"

#include <doctest/doctest.h>

using namespace rt;

TEST_CASE("human_size: decimal, 3 significant digits") {
  CHECK(human_size(0) == "0B");
  CHECK(human_size(999) == "999B");
  CHECK(human_size(1000) == "1kB");
  CHECK(human_size(7810000) == "7.81MB");
  CHECK(human_size(1234567890) == "1.23GB");
}

TEST_CASE("bytes_size: binary, 4 significant digits") {
  CHECK(bytes_size(1023) == "1023B");
  CHECK(bytes_size(1024) == "1KiB");
  CHECK(bytes_size(1228800) == "1.172MiB");
}

TEST_CASE("human_duration: docker's HumanDuration") {
  CHECK(human_duration(0) == "Less than a second");
  CHECK(human_duration(1) == "1 second");
  CHECK(human_duration(59) == "59 seconds");
  CHECK(human_duration(60) == "About a minute");
  CHECK(human_duration(180) == "3 minutes");
  CHECK(human_duration(3600) == "About an hour");
  CHECK(human_duration(5L * 3600) == "5 hours");
  CHECK(human_duration(3L * 86400) == "3 days");
  CHECK(human_duration(21L * 86400) == "3 weeks");
  CHECK(human_duration(90L * 86400) == "3 months");
  CHECK(human_duration(800L * 86400) == "2 years");
  CHECK(ago(120) == "2 minutes ago");
}

TEST_CASE("append_escaped: JSON and Go %q") {
  std::string j, g;
  append_escaped(j, "a\"b\\c\n\x01\x7f", Escape::json);
  append_escaped(g, "a\"b\\c\n\x01\x7f", Escape::go);
  CHECK(j == "a\\\"b\\\\c\\n\\u0001\x7f");
  CHECK(g == "a\\\"b\\\\c\\n\\x01\\x7f");
}

TEST_CASE("rfc3339_of") {
  CHECK(rfc3339_of(0).empty());
  CHECK(rfc3339_of(1700000000) == "2023-11-14T22:13:20Z");
}

TEST_CASE("parse_rfc3339_ns: one parser for configs, records and logs") {
  const int64_t s = 1700000000;  // 2023-11-14T22:13:20Z
  const int64_t ns = s * 1000000000LL;
  CHECK(parse_rfc3339_ns("2023-11-14T22:13:20Z") == ns);
  // fractions are kept, to the nanosecond, whatever their length
  CHECK(parse_rfc3339_ns("2023-11-14T22:13:20.5Z") == ns + 500000000);
  CHECK(parse_rfc3339_ns("2023-11-14T22:13:20.123456789Z") == ns + 123456789);
  CHECK(parse_rfc3339_ns("2023-11-14T22:13:20.1234567891234Z") == ns + 123456789);
  // offsets are honoured: +02:00 is two hours ahead of UTC
  CHECK(parse_rfc3339_ns("2023-11-15T00:13:20+02:00") == ns);
  CHECK(parse_rfc3339_ns("2023-11-14T17:43:20.25-04:30") == ns + 250000000);
  CHECK(parse_rfc3339_ns("2023-11-14t22:13:20z") == ns);
  CHECK(parse_rfc3339_ns("2023-11-14T22:13:20") == ns);  // no zone: UTC
  // whole seconds, for image configs
  CHECK(parse_rfc3339("2023-11-15T00:13:20.999+02:00") == s);
  // malformed: 0
  for (const char* bad : {"", "2023-11-14", "2023-11-14T22:13", "2023-13-14T22:13:20Z", "2023-11-14T22:13:20.Z",
                          "2023-11-14T22:13:20+0200", "2023-11-14T22:13:20Zjunk", "2023/11/14T22:13:20Z",
                          "23-11-14T22:13:20Z", "2023-11-14T22:13:2xZ"})
    CHECK_MESSAGE(parse_rfc3339_ns(bad) == 0, bad);
  CHECK(parse_rfc3339_ns(rfc3339_now()) > ns);
  CHECK(rfc3339_utc(0, 0) == "1970-01-01T00:00:00.000000000Z");
  CHECK(rfc3339_utc(s, 250000000) == "2023-11-14T22:13:20.250000000Z");
  CHECK(rfc3339_utc(951825599, 999999999) == "2000-02-29T11:59:59.999999999Z");  // a leap day
  CHECK(rfc3339_utc(4102444799, 1) == "2099-12-31T23:59:59.000000001Z");
  CHECK(rfc3339_utc(-1, 0) == "1969-12-31T23:59:59.000000000Z");
  CHECK(parse_rfc3339_ns(rfc3339_utc(s, 7)) == ns + 7);
  CHECK(parse_rfc3339_ns(rfc3339_of(s)) == ns);
}
