#include "table.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "container.hpp"
#include "format.hpp"

namespace rt::repl {

size_t text_width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string Table::render() const {
  std::vector<size_t> w(headers_.size(), 0);
  auto widen = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < w.size(); ++i) w[i] = std::max(w[i], text_width(row[i]));
  };
  widen(headers_);
  for (const auto& r : rows_) widen(r);
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    std::string l;
    for (size_t i = 0; i < w.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      l += cell;
      if (i + 1 < w.size()) l.append(w[i] - text_width(cell) + 3, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(headers_);
  for (const auto& r : rows_) line(r);
  return out;
}

std::string ellipsis(std::string_view s, size_t max) {
  if (text_width(s) <= max || max == 0) return std::string(s);
  std::string out;
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80 && ++n > max - 1) break;
    out.push_back(s[i]);
  }
  return out + "\u2026";
}

std::string go_quote(std::string_view s) {
  std::string out = "\"";
  append_escaped(out, s, Escape::go);
  return out + "\"";
}

std::string short_image_id(std::string_view id) {
  if (id.substr(0, 7) == "sha256:") id.remove_prefix(7);
  return std::string(id.substr(0, 12));
}

}  // namespace rt::repl
