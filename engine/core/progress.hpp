#pragma once
// The progress bar of every command (docs/conventions.md, "Command line"), as GDAL's `gdal` and
// osmium draw theirs: one line on stderr, redrawn in place with '\r', with the percentage, the
// current step and an estimate of the time left; a final newline when done. Only when the command
// asks for it: stderr is a terminal or --progress forces it, and never with --quiet or --json.
// Nothing of it ever reaches stdout. Not thread-safe: callers from several threads hold a lock.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

namespace ut::core {

// True when stderr is a terminal.
bool stderr_is_terminal();
// Whether a command draws its bar: --progress (forced) or a terminal; never with --quiet or --json.
bool progress_wanted(bool forced, bool quiet, bool json);
// "12 s", "7 min", "2 h 05 min".
std::string format_duration(double seconds);

class ProgressBar {
 public:
  // label: the command ("urbantwin run"); enabled false: every call does nothing; out: stderr
  // (a test passes a temporary file).
  ProgressBar(std::string label, bool enabled, std::FILE* out = stderr);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  bool enabled() const { return enabled_; }
  // fraction: done so far, clamped to [0, 1]; step: what runs now ("2027 traffic"); seconds_left:
  // the caller's estimate, else one from the rate so far (none before 2 % or 1 s: "estimating").
  // Redraws at most ten times a second, and whenever the step or the whole percentage changes.
  void update(double fraction, const std::string& step, std::optional<double> seconds_left = std::nullopt);
  // A line printed above the bar (a warning or an event), the bar redrawn below it.
  void message(const std::string& line);
  // Draws 100 % with the elapsed time and the final newline; once (the destructor calls it if the
  // bar was drawn, so an error message never lands on the bar's line).
  void finish();

 private:
  using clock = std::chrono::steady_clock;
  std::string render(double fraction, const std::string& step, const std::string& time_text) const;
  void draw(const std::string& line);

  std::string label_;
  bool enabled_;
  std::FILE* out_;
  std::size_t width_;  // of the terminal (the step is shortened to fit); 0: no limit
  bool drawn_ = false, finished_ = false;
  clock::time_point t0_, last_draw_{};
  double fraction_ = 0;
  int last_percent_ = -1;
  std::string step_, last_step_;
  std::size_t last_width_ = 0;  // of the line drawn last (a shorter one is padded to erase it)
};

}  // namespace ut::core
