// Unit tests of parse.cpp: the option-value parsers every tool uses.
#include "parse.hpp"

#include <doctest/doctest.h>

#include "error.hpp"

using namespace rt;

TEST_CASE("parse_size: binary units, as docker") {
  CHECK(parse_size("1024") == 1024);
  CHECK(parse_size("512k") == 512 * 1024);
  CHECK(parse_size("64M") == 64ull << 20);
  CHECK(parse_size("1g") == 1ull << 30);
  CHECK(parse_size("1.5G") == 3ull << 29);
  CHECK(parse_size("2tb") == 2ull << 40);
  CHECK(parse_size("3MiB") == 3ull << 20);
  CHECK(parse_size("7b") == 7);
  CHECK_THROWS_WITH_AS(parse_size("", "--memory"), doctest::Contains("invalid --memory ''"), Error);
  CHECK_THROWS_WITH_AS(parse_size("12x"), doctest::Contains("unknown unit 'x'"), Error);
  CHECK_THROWS_AS(parse_size("-1"), Error);
  CHECK_THROWS_AS(parse_size("k"), Error);
  CHECK_THROWS_WITH_AS(parse_size("99999999999t"), doctest::Contains("too large"), Error);
}

TEST_CASE("parse_duration_ms: a bare number is seconds") {
  CHECK(parse_duration_ms("10") == 10000);
  CHECK(parse_duration_ms("10s") == 10000);
  CHECK(parse_duration_ms("500ms") == 500);
  CHECK(parse_duration_ms("1.5s") == 1500);
  CHECK(parse_duration_ms("2m") == 120000);
  CHECK(parse_duration_ms("1h") == 3600000);
  CHECK(parse_duration_ms("0") == 0);
  CHECK_THROWS_WITH_AS(parse_duration_ms("5d", "--time"), doctest::Contains("invalid --time '5d'"), Error);
  CHECK_THROWS_AS(parse_duration_ms("s"), Error);
}

TEST_CASE("parse_uint / parse_int / parse_double: whole string, in range") {
  CHECK(parse_uint("42", "n") == 42);
  CHECK(parse_uint("7", "n", 7) == 7);
  CHECK_THROWS_WITH_AS(parse_uint("8", "n", 7), doctest::Contains("at most 7"), Error);
  CHECK_THROWS_AS(parse_uint("4 2", "n"), Error);
  CHECK_THROWS_AS(parse_uint("-1", "n"), Error);
  CHECK_THROWS_AS(parse_uint("", "n"), Error);
  CHECK(parse_int("-3", "n") == -3);
  CHECK_THROWS_AS(parse_int("3.0", "n"), Error);
  CHECK(parse_double("0.25", "x") == doctest::Approx(0.25));
  CHECK_THROWS_AS(parse_double(" 1", "x"), Error);
  CHECK_THROWS_AS(parse_double("inf", "x"), Error);
  CHECK_THROWS_AS(parse_double("1x", "x"), Error);
}

TEST_CASE("parse_kv, split, join") {
  CHECK(parse_kv("A=b=c", "env") == std::pair<std::string, std::string>{"A", "b=c"});
  CHECK(parse_kv("A=", "env").second.empty());
  CHECK_THROWS_AS(parse_kv("=x", "env"), Error);
  CHECK_THROWS_AS(parse_kv("A", "env"), Error);
  CHECK(split("a::b", ':') == std::vector<std::string>{"a", "", "b"});
  CHECK(split("", ':') == std::vector<std::string>{""});
  CHECK(join({"a", "b", "c"}, ", ") == "a, b, c");
  CHECK(join({}, ",").empty());
}

TEST_CASE("shell_quote: quotes only what a shell would split or expand") {
  CHECK(shell_quote("plain-word_1.2/x") == "plain-word_1.2/x");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("$HOME") == "'$HOME'");
}

TEST_CASE("line_value: the rest of the first line that is KEY, SEP and more") {
  std::string_view status = "Name:\tsh\nThreads:\t3\nThreads:\t9\n";
  CHECK(line_value(status, "Threads", ':') == "\t3");  // the first one
  CHECK(line_value(status, "Name", ':') == "\tsh");
  CHECK(line_value(status, "Thread", ':') == std::nullopt);  // a prefix is not the key
  CHECK(line_value(status, "Threads", ' ') == std::nullopt);
  std::string_view stat = "cache 12\nrss 34\ntotal_rss 56";  // no newline at the end
  CHECK(line_value(stat, "rss", ' ') == "34");
  CHECK(line_value(stat, "total_rss", ' ') == "56");
  CHECK(line_value(stat, "cache", ':') == std::nullopt);
  CHECK(line_value("rss\n", "rss", ' ') == std::nullopt);  // the key alone
  CHECK(line_value("rss \n", "rss", ' ') == "");           // an empty value
  CHECK(line_value("", "rss", ' ') == std::nullopt);
}
