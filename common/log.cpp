#include "log.hpp"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "format.hpp"

namespace rt::log {
namespace {

struct State {
  Level level = Level::warn;
  bool json = false;
  int64_t chain_t0 = 0;  // chain start, us
  int64_t last = 0;      // last step of this tool, us
  bool ready = false;
};
State g;  // the parsed environment: the only global state of a tool

const char* level_name(Level l) {
  switch (l) {
    case Level::error: return "error";
    case Level::warn: return "warn";
    case Level::info: return "info";
    case Level::debug: return "debug";
    case Level::trace: return "trace";
  }
  return "?";
}

void ensure_chain_t0() {
  if (g.chain_t0) return;
  const char* t0 = std::getenv("RT_CHAIN_T0");
  if (t0 && *t0) g.chain_t0 = std::strtoll(t0, nullptr, 10);
  if (g.chain_t0 <= 0) {
    g.chain_t0 = now_us();
    // Exported only when the timeline is on, so the payload's environment
    // stays clean otherwise.
    ::setenv("RT_CHAIN_T0", std::to_string(g.chain_t0).c_str(), 1);
  }
  g.last = now_us();
}

}  // namespace

int64_t now_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

bool parse_level(std::string_view s, Level& out) {
  static constexpr std::pair<std::string_view, Level> names[] = {{"error", Level::error},  {"warn", Level::warn},
                                                                 {"warning", Level::warn}, {"info", Level::info},
                                                                 {"debug", Level::debug},  {"trace", Level::trace}};
  for (const auto& [n, l] : names)
    if (s == n) {
      out = l;
      return true;
    }
  return false;
}

void init() {
  if (g.ready) return;
  g.ready = true;
  if (const char* lv = std::getenv("RT_LOG"); lv && *lv) {
    if (!parse_level(lv, g.level)) warn(str("ignoring RT_LOG=", lv, " (expected error, warn, info, debug or trace)"));
  }
  if (const char* f = std::getenv("RT_LOG_FORMAT"); f && std::string_view(f) == "json") g.json = true;
  if (enabled(Level::debug)) ensure_chain_t0();
}

void set_level(Level lvl, bool export_env) {
  g.level = lvl;
  if (export_env) ::setenv("RT_LOG", level_name(lvl), 1);
  if (enabled(Level::debug)) ensure_chain_t0();
}

Level level() { return g.level; }

static void emit(Level l, std::string_view msg, int64_t t_us, int64_t dur_us) {
  std::string line;
  line.reserve(msg.size() + 96);
  if (g.json) {
    line += "{\"level\":\"";
    line += level_name(l);
    line += "\",\"tool\":\"";
    line += tool_name();
    line += "\",\"pid\":";
    line += std::to_string(::getpid());
    if (t_us >= 0) {
      line += ",\"t_us\":" + std::to_string(t_us);
      line += ",\"step_us\":" + std::to_string(dur_us);
    }
    line += ",\"msg\":\"";
    append_escaped(line, msg, Escape::json);
    line += "\"}\n";
  } else {
    line += tool_name();
    line += ": ";
    line += level_name(l);
    line += ": ";
    if (t_us >= 0) {
      line += "+" + std::to_string(t_us) + "us (" + std::to_string(dur_us) + "us) ";
    }
    line.append(msg);
    line += '\n';
  }
  ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  (void)n;
}

void write(Level l, std::string_view msg) { emit(l, msg, -1, 0); }

void step_msg(std::string_view what) { step_msg_at(now_us(), what); }

void step_msg_at(int64_t at, std::string_view what) {
  ensure_chain_t0();
  emit(Level::debug, what, at - g.chain_t0, at - g.last);
  g.last = at;
}

}  // namespace rt::log
