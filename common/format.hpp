// Formatting for people: times and sizes as docker prints them.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace rt {

// RFC 3339 UTC timestamp with nanoseconds, now.
std::string rfc3339_now();
// The same for a unix time and its nanoseconds ("1970-01-01T00:00:00.000000000Z"),
// without reading the time zone files.
std::string rfc3339_utc(int64_t unix_seconds, long nanoseconds);
// Nanoseconds since the epoch of an RFC 3339 timestamp,
// "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)": the fraction kept (to
// the nanosecond), the offset applied ("+02:00" is two hours ahead of UTC);
// no zone is read as UTC. 0 when empty or malformed.
int64_t parse_rfc3339_ns(std::string_view s);
// The same in whole seconds (image configs' "created").
inline int64_t parse_rfc3339(std::string_view s) { return parse_rfc3339_ns(s) / 1000000000LL; }
// "2024-01-02T03:04:05Z" for a unix time ("" for 0).
std::string rfc3339_of(int64_t unix_seconds);
// Seconds since an RFC 3339 timestamp (0 when empty or bad).
int64_t seconds_since(std::string_view rfc3339);

// "3 minutes", "About an hour", as docker's HumanDuration.
std::string human_duration(int64_t seconds);
// "3 minutes ago" for a moment `seconds` in the past.
std::string ago(int64_t seconds);

// "7.81MB" (decimal, 3 significant digits, as docker's HumanSize).
std::string human_size(uint64_t bytes);
// "1.172MiB" (binary, 4 significant digits, as docker's BytesSize).
std::string bytes_size(uint64_t bytes);

// Appends s with '"', '\\' and control characters escaped (\n \t \r by name):
// json: others as \u00XX; go: others and DEL as \xXX, as Go's %q prints them.
enum class Escape { json, go };
void append_escaped(std::string& out, std::string_view s, Escape style);

}  // namespace rt
