// Logging shared by every tool.
//
//   RT_LOG=error|warn|info|debug|trace   (default: warn)
//   RT_LOG_FORMAT=json                   one JSON object per line
//
// At debug level each tool logs its steps with the time since the chain
// started (RT_CHAIN_T0, microseconds of CLOCK_MONOTONIC, set by the first tool
// and inherited down the chain) and the time the step took, so one run prints
// a timeline of the whole pipeline.
#pragma once
#include <cstdint>
#include <string_view>

#include "error.hpp"

namespace rt::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3, trace = 4 };

// Read RT_LOG / RT_LOG_FORMAT / RT_CHAIN_T0. Called once from chain parsing;
// cheap when logging is off.
void init();
// Set the level (and export RT_LOG so the rest of the chain inherits it).
void set_level(Level lvl, bool export_env);
bool parse_level(std::string_view s, Level& out);

Level level();
inline bool enabled(Level l) { return static_cast<int>(l) <= static_cast<int>(level()); }

void write(Level l, std::string_view msg);

// Microseconds of CLOCK_MONOTONIC.
int64_t now_us();

// clang-format off
template <typename... A> void error(const A&... a) { if (enabled(Level::error)) write(Level::error, str(a...)); }
template <typename... A> void warn(const A&... a) { if (enabled(Level::warn)) write(Level::warn, str(a...)); }
template <typename... A> void info(const A&... a) { if (enabled(Level::info)) write(Level::info, str(a...)); }
template <typename... A> void debug(const A&... a) { if (enabled(Level::debug)) write(Level::debug, str(a...)); }
template <typename... A> void trace(const A&... a) { if (enabled(Level::trace)) write(Level::trace, str(a...)); }
// clang-format on

// A timeline entry at debug level: "+1234us (56us) WHAT".
void step_msg(std::string_view what);
// clang-format off
template <typename... A> void step(const A&... a) { if (enabled(Level::debug)) step_msg(str(a...)); }
// A step that ended at `at` (now_us() then), logged later: what a
// vfork_child did, which the parent logs once the child has exec'd.
void step_msg_at(int64_t at, std::string_view what);
template <typename... A> void step_at(int64_t at, const A&... a) {
  if (enabled(Level::debug)) step_msg_at(at, str(a...));
}
// clang-format on

}  // namespace rt::log
