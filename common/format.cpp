#include "format.hpp"

#include <time.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <string_view>

#include "error.hpp"

namespace rt {

std::string rfc3339_utc(int64_t unix_seconds, long nanoseconds) {
  // The calendar by arithmetic (std::chrono's civil dates), not gmtime_r or
  // strftime: glibc's first conversion of a process reads /etc/localtime
  // (tzset), even for UTC, and rfc3339_now is on rt-run's start-up path.
  using namespace std::chrono;
  sys_seconds secs{seconds{unix_seconds}};
  sys_days day = floor<days>(secs);
  year_month_day ymd{day};
  hh_mm_ss hms{secs - day};
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02lld.%09ldZ", static_cast<int>(ymd.year()),
           static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<long>(hms.hours().count()),
           static_cast<long>(hms.minutes().count()), static_cast<long long>(hms.seconds().count()), nanoseconds);
  return buf;
}

std::string rfc3339_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return rfc3339_utc(ts.tv_sec, ts.tv_nsec);
}

int64_t parse_rfc3339_ns(std::string_view s) {
  // By hand rather than strptime: strict widths, and the zone is ours to read.
  auto num = [&](size_t pos, size_t len, int lo, int hi, int& out) {
    if (pos + len > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return out >= lo && out <= hi;
  };
  auto at = [&](size_t pos, std::string_view chars) { return pos < s.size() && chars.find(s[pos]) != s.npos; };
  int Y, M, D, h, m, sec;
  if (!num(0, 4, 0, 9999, Y) || !at(4, "-") || !num(5, 2, 1, 12, M) || !at(7, "-") || !num(8, 2, 1, 31, D) ||
      !at(10, "Tt ") || !num(11, 2, 0, 23, h) || !at(13, ":") || !num(14, 2, 0, 59, m) || !at(16, ":") ||
      !num(17, 2, 0, 60, sec))
    return 0;
  size_t i = 19;
  int64_t ns = 0;
  if (at(i, ".")) {
    int digits = 0;
    for (++i; at(i, "0123456789"); ++i)
      if (digits < 9) {
        ns = ns * 10 + (s[i] - '0');
        ++digits;
      }
    if (digits == 0) return 0;
    while (digits++ < 9) ns *= 10;
  }
  int64_t offset = 0;
  if (at(i, "Zz")) {
    ++i;
  } else if (at(i, "+-")) {
    int oh, om;
    if (!num(i + 1, 2, 0, 23, oh) || !at(i + 3, ":") || !num(i + 4, 2, 0, 59, om)) return 0;
    offset = (s[i] == '+' ? 1 : -1) * (oh * 3600LL + om * 60LL);
    i += 6;
  }
  if (i != s.size()) return 0;
  tm t{};
  t.tm_year = Y - 1900;
  t.tm_mon = M - 1;
  t.tm_mday = D;
  t.tm_hour = h;
  t.tm_min = m;
  t.tm_sec = sec;
  return (static_cast<int64_t>(timegm(&t)) - offset) * 1000000000LL + ns;
}

std::string rfc3339_of(int64_t unix_seconds) {
  if (unix_seconds <= 0) return "";
  time_t t = static_cast<time_t>(unix_seconds);
  tm tmv{};
  gmtime_r(&t, &tmv);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  return buf;
}

int64_t seconds_since(std::string_view rfc) {
  int64_t ns = parse_rfc3339_ns(rfc);
  if (!ns) return 0;
  return static_cast<int64_t>(::time(nullptr)) - ns / 1000000000LL;
}

std::string human_duration(int64_t s) {
  if (s < 1) return "Less than a second";
  if (s < 60) return s == 1 ? "1 second" : str(s, " seconds");
  int64_t m = s / 60;
  if (m == 1) return "About a minute";
  if (m < 60) return str(m, " minutes");
  int64_t h = (s + 1800) / 3600;
  if (h == 1) return "About an hour";
  if (h < 48) return str(h, " hours");
  int64_t d = h / 24;
  if (d < 14) return str(d, " days");
  if (d < 60) return str(d / 7, " weeks");
  if (d < 730) return str(d / 30, " months");
  return str(d / 365, " years");
}

std::string ago(int64_t seconds) { return human_duration(seconds) + " ago"; }

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

void append_escaped(std::string& out, std::string_view s, Escape style) {
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || (style == Escape::go && c == 0x7f)) {
          char buf[8];
          if (style == Escape::json) std::snprintf(buf, sizeof buf, "\\u%04x", c);
          else std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
}

}  // namespace rt
