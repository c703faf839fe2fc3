// rt-pull's progress report on stderr: a live bar per layer on a terminal,
// one plain line per event otherwise, nothing with --quiet.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "image_write.hpp"

namespace rt::pull {

class Progress {
 public:
  enum class Mode { quiet, lines, bars };
  explicit Progress(Mode m) : mode_(m) {}
  static Mode detect(bool quiet);  // bars when stderr is a terminal (and TERM is not dumb)
  Mode mode() const { return mode_; }
  // What fetching a layer is called: "downloading", or "copying" for imports.
  void set_verb(std::string v) { verb_ = std::move(v); }

  // A line of its own ("Pulling from ...", "Image is up to date").
  void note(const std::string& line);
  // Follow the layers of `jobs` (until the next begin()).
  void begin(LayerJobs& jobs);
  // Call often from the main thread: prints what changed (rate-limited for bars).
  void update(bool force = false);
  void end();  // final state of every layer

 private:
  struct Seen {
    LayerState state = LayerState::queued;
    uint64_t bytes_at_start = 0;
    std::chrono::steady_clock::time_point started{};
  };
  std::string bar_line(size_t i);
  Mode mode_;
  std::string verb_ = "downloading";
  LayerJobs* jobs_ = nullptr;
  std::vector<Seen> seen_;
  size_t drawn_ = 0;  // lines of bars on screen
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace rt::pull
