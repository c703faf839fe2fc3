#include "progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "error.hpp"
#include "format.hpp"

namespace rt::pull {

using Clock = std::chrono::steady_clock;

static void out(const std::string& s) {
  ssize_t n = ::write(STDERR_FILENO, s.data(), s.size());
  (void)n;
}

Progress::Mode Progress::detect(bool quiet) {
  if (quiet) return Mode::quiet;
  const char* term = std::getenv("TERM");
  if (::isatty(STDERR_FILENO) && !(term && std::strcmp(term, "dumb") == 0)) return Mode::bars;
  return Mode::lines;
}

void Progress::note(const std::string& line) {
  if (mode_ == Mode::quiet) return;
  out(line + "\n");
}

void Progress::begin(LayerJobs& jobs) {
  jobs_ = &jobs;
  seen_.assign(jobs.layers().size(), Seen{});
  drawn_ = 0;
  update(true);
}

std::string Progress::bar_line(size_t i) {
  const auto& L = jobs_->layers()[i];
  LayerStatus& st = jobs_->status(i);
  LayerState s = st.state.load();
  std::string id = L.digest.substr(7, 12);
  char buf[256];
  if (s == LayerState::fetching || s == LayerState::unpacking) {
    // Bytes arrive, and are unpacked as they do: show whichever lags.
    uint64_t total = L.size ? L.size : 1;
    uint64_t have = st.fetched.load(), used = st.consumed.load();
    bool arriving = s == LayerState::fetching && have < L.size;
    uint64_t shown = arriving ? have : std::min(have, used);
    const char* what = arriving ? verb_.c_str() : "unpacking";
    int width = 24;
    int filled = static_cast<int>(static_cast<double>(shown) / static_cast<double>(total) * width);
    std::string bar = std::string(static_cast<size_t>(std::clamp(filled, 0, width)), '=');
    if (filled < width) bar += '>';
    bar.resize(static_cast<size_t>(width) + 1, ' ');
    double secs = std::chrono::duration<double>(Clock::now() - seen_[i].started).count();
    uint64_t base = std::min(shown, seen_[i].bytes_at_start);
    double rate = secs > 0.2 ? static_cast<double>(shown - base) / secs : 0;
    std::string eta;
    if (rate > 0 && shown < L.size) eta = str(" ETA ", std::lround(static_cast<double>(L.size - shown) / rate), "s");
    std::snprintf(buf, sizeof buf, "%s: %-11s [%s] %s/%s %s/s%s", id.c_str(), what, bar.c_str(),
                  human_size(shown).c_str(), human_size(L.size).c_str(),
                  human_size(static_cast<uint64_t>(rate)).c_str(), eta.c_str());
  } else if (s == LayerState::done) {
    std::snprintf(buf, sizeof buf, "%s: %-11s %s, %llu files", id.c_str(), layer_state_name(s),
                  human_size(L.size).c_str(), static_cast<unsigned long long>(st.files));
  } else if (s == LayerState::waiting) {
    std::snprintf(buf, sizeof buf, "%s: waiting for another rt-pull to fetch it", id.c_str());
  } else {
    std::snprintf(buf, sizeof buf, "%s: %s", id.c_str(), layer_state_name(s));
  }
  return buf;
}

void Progress::update(bool force) {
  if (!jobs_ || mode_ == Mode::quiet) return;
  size_t n = seen_.size();
  bool changed = false;
  for (size_t i = 0; i < n; ++i) {
    LayerState s = jobs_->status(i).state.load();
    if (s == seen_[i].state) continue;
    changed = true;
    if (s == LayerState::fetching || (s == LayerState::unpacking && seen_[i].state != LayerState::fetching)) {
      seen_[i].started = Clock::now();
      seen_[i].bytes_at_start = jobs_->status(i).fetched.load();
    }
    seen_[i].state = s;
    if (mode_ == Mode::lines) {
      const auto& L = jobs_->layers()[i];
      LayerStatus& st = jobs_->status(i);
      std::string id = L.digest.substr(0, 19);
      switch (s) {
        case LayerState::fetching: {
          uint64_t from = st.resumed_at.load();
          out(str(id, ": ", verb_, " ", human_size(L.size), from ? str(" (resuming at ", human_size(from), ")") : "",
                  "\n"));
          break;
        }
        case LayerState::unpacking: out(str(id, ": unpacking (blob already in the store)\n")); break;
        case LayerState::waiting: out(str(id, ": waiting for another rt-pull to fetch it\n")); break;
        case LayerState::done: out(str(id, ": done (", st.files, " files, ", human_size(st.file_bytes), ")\n")); break;
        case LayerState::present: out(str(id, ": already present\n")); break;
        case LayerState::failed: out(str(id, ": failed\n")); break;
        case LayerState::queued: break;
      }
    }
  }
  if (mode_ != Mode::bars) return;
  auto now = Clock::now();
  if (!force && !changed && now - last_draw_ < std::chrono::milliseconds(150)) return;
  last_draw_ = now;
  std::string s;
  if (drawn_) s += str("\x1b[", drawn_, "A");
  for (size_t i = 0; i < n; ++i) s += "\r\x1b[2K" + bar_line(i) + "\n";
  drawn_ = n;
  out(s);
}

void Progress::end() {
  update(true);
  jobs_ = nullptr;
}

}  // namespace rt::pull
