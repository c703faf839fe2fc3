// Output helpers: docker-style aligned tables and the units docker prints.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include "format.hpp"

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
// "sha256:abc..." -> "abc..." cut to 12.
std::string short_image_id(std::string_view id);

}  // namespace rt::repl
