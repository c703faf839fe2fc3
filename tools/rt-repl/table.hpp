// Output helpers: docker-style aligned tables and the units docker prints.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rt::repl {

// Columns padded to the widest cell plus three spaces, as docker's
// tabwriter does; the last column is not padded.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of UTF-8 text (code points; no wide characters expected).
size_t text_width(std::string_view s);
// Cut to `max` columns, ending with "…" when cut.
std::string ellipsis(std::string_view s, size_t max);
// A string quoted as Go's strconv.Quote does it (what docker ps shows).
std::string go_quote(std::string_view s);
// "7.81MB" (decimal, 3 significant digits, as docker's HumanSize).
std::string human_size(uint64_t bytes);
// "1.172MiB" (binary, 4 significant digits, as docker's BytesSize: stats).
std::string bytes_size(uint64_t bytes);
// "3 minutes ago" for a moment `seconds` in the past ("" when unknown).
std::string ago(int64_t seconds);
// Seconds since an RFC 3339 timestamp (0 when empty or bad).
int64_t seconds_since(const std::string& rfc3339);
// "2024-01-02T03:04:05Z" for a unix time ("" for 0).
std::string rfc3339_of(int64_t unix_seconds);
// "sha256:abc..." -> "abc..." cut to 12.
std::string short_image_id(std::string_view id);

}  // namespace rt::repl
