#include "table.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "container.hpp"

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
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

static std::string scaled(double v, double base, int digits, const char* const* units, size_t nunits) {
  size_t i = 0;
  while (v >= base && i + 1 < nunits) {
    v /= base;
    ++i;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  if (std::string_view(buf).find('e') != std::string_view::npos) std::snprintf(buf, sizeof buf, "%.0f", v);
  return std::string(buf) + units[i];
}

std::string human_size(uint64_t bytes) {
  static const char* const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  return scaled(static_cast<double>(bytes), 1000.0, 3, units, std::size(units));
}

std::string bytes_size(uint64_t bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  return scaled(static_cast<double>(bytes), 1024.0, 4, units, std::size(units));
}

std::string ago(int64_t seconds) { return human_duration(seconds) + " ago"; }

int64_t seconds_since(const std::string& rfc) {
  int64_t ns = parse_rfc3339_ns(rfc);
  if (!ns) return 0;
  return static_cast<int64_t>(::time(nullptr)) - ns / 1000000000LL;
}

std::string rfc3339_of(int64_t unix_seconds) {
  if (unix_seconds <= 0) return "";
  time_t t = static_cast<time_t>(unix_seconds);
  tm tmv{};
  gmtime_r(&t, &tmv);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  return buf;
}

std::string short_image_id(std::string_view id) {
  if (id.substr(0, 7) == "sha256:") id.remove_prefix(7);
  return std::string(id.substr(0, 12));
}

}  // namespace rt::repl
