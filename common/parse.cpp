#include "parse.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "error.hpp"

namespace rt {

uint64_t parse_uint(std::string_view s, std::string_view what, uint64_t max) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    throw Error(str("invalid ", what, " '", s, "': expected a non-negative integer"));
  if (v > max) throw Error(str("invalid ", what, " '", s, "': at most ", max));
  return v;
}

int64_t parse_int(std::string_view s, std::string_view what) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    throw Error(str("invalid ", what, " '", s, "': expected an integer"));
  return v;
}

double parse_double(std::string_view s, std::string_view what) {
  std::string tmp(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(tmp.c_str(), &end);
  if (tmp.empty() || end != tmp.c_str() + tmp.size() || errno || !std::isfinite(v) || std::isspace(tmp[0]))
    throw Error(str("invalid ", what, " '", s, "': expected a number"));
  return v;
}

namespace {

// "1.5g" -> {1.5, "g"}; units names the accepted units for the message.
std::pair<double, std::string_view> number_and_unit(std::string_view s, std::string_view what, std::string_view units) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) throw Error(str("invalid ", what, " '", s, "': expected a number with an optional unit (", units, ")"));
  return {parse_double(s.substr(0, i), what), s.substr(i)};
}

}  // namespace

uint64_t parse_size(std::string_view s, std::string_view what) {
  // number [unit] where unit is one of b k m g t (optionally followed by b/ib).
  auto [v, unit] = number_and_unit(s, what, "k, m, g, t");
  std::string u;
  for (char c : unit) u.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  double mult = 1;
  if (u.empty() || u == "b") mult = 1;
  else if (u == "k" || u == "kb" || u == "kib") mult = 1024.0;
  else if (u == "m" || u == "mb" || u == "mib") mult = 1024.0 * 1024;
  else if (u == "g" || u == "gb" || u == "gib") mult = 1024.0 * 1024 * 1024;
  else if (u == "t" || u == "tb" || u == "tib") mult = 1024.0 * 1024 * 1024 * 1024;
  else throw Error(str("invalid ", what, " '", s, "': unknown unit '", unit, "' (use k, m, g or t)"));
  double bytes = v * mult;
  if (bytes >= 1.8e19) throw Error(str("invalid ", what, " '", s, "': too large"));
  return static_cast<uint64_t>(bytes);
}

int64_t parse_duration_ms(std::string_view s, std::string_view what) {
  auto [v, unit] = number_and_unit(s, what, "ms, s, m, h");
  double mult;
  if (unit.empty() || unit == "s") mult = 1000;
  else if (unit == "ms") mult = 1;
  else if (unit == "m") mult = 60000;
  else if (unit == "h") mult = 3600000;
  else throw Error(str("invalid ", what, " '", s, "': unknown unit '", unit, "' (use ms, s, m or h)"));
  double ms = v * mult;
  if (ms > 9e15) throw Error(str("invalid ", what, " '", s, "': too large"));
  return static_cast<int64_t>(std::llround(ms));
}

std::pair<std::string, std::string> parse_kv(std::string_view s, std::string_view what) {
  auto eq = s.find('=');
  if (eq == std::string_view::npos || eq == 0) throw Error(str("invalid ", what, " '", s, "': expected KEY=VALUE"));
  return {std::string(s.substr(0, eq)), std::string(s.substr(eq + 1))};
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.emplace_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out.append(sep);
    out.append(v[i]);
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::optional<std::string_view> line_value(std::string_view text, std::string_view key, char sep) {
  for (size_t pos = 0; pos < text.size();) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (line.size() > key.size() && starts_with(line, key) && line[key.size()] == sep)
      return line.substr(key.size() + 1);
    pos = eol + 1;
  }
  return std::nullopt;
}

std::string shell_quote(std::string_view s) {
  if (s.empty()) return "''";
  bool plain = true;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) ||
          std::string_view("@%+=:,./-_").find(c) != std::string_view::npos)) {
      plain = false;
      break;
    }
  if (plain) return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out.push_back(c);
  }
  out += "'";
  return out;
}

}  // namespace rt
