// Parsers for option values. Each throws rt::Error with a one-line message
// naming the value and what was expected.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rt {

// "64M", "1g", "512k", "1024", "1.5G" -> bytes (binary units, as docker).
uint64_t parse_size(std::string_view s, std::string_view what = "size");
// "10", "10s", "500ms", "2m", "1h", "1.5s" -> milliseconds. A bare number is seconds.
int64_t parse_duration_ms(std::string_view s, std::string_view what = "duration");
// Unsigned integer, whole string, in range.
uint64_t parse_uint(std::string_view s, std::string_view what, uint64_t max = UINT64_MAX);
int64_t parse_int(std::string_view s, std::string_view what);
double parse_double(std::string_view s, std::string_view what);
// "KEY=VALUE" -> {KEY, VALUE}. KEY must be non-empty.
std::pair<std::string, std::string> parse_kv(std::string_view s, std::string_view what);
// Split on a separator; keeps empty fields.
std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& v, std::string_view sep);
bool starts_with(std::string_view s, std::string_view prefix);
// The rest of the first line of TEXT that is KEY, SEP and more ("Pss:  12
// kB" for "Pss" and ':' -> "  12 kB"): the key-value files of /proc and of
// cgroups. nullopt when no line is.
std::optional<std::string_view> line_value(std::string_view text, std::string_view key, char sep);
// Quote a word for a POSIX shell (only when it needs it).
std::string shell_quote(std::string_view s);

}  // namespace rt
