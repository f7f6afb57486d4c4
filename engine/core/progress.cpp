#include "core/progress.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ut::core {

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

bool progress_wanted(bool forced, bool quiet, bool json) { return !quiet && !json && (forced || stderr_is_terminal()); }

std::string format_duration(double seconds) {
  const double s = std::max(0.0, seconds);
  if (s < 90) return fmt::format("{:.0f} s", s);
  if (s < 90 * 60) return fmt::format("{:.0f} min", s / 60);
  const auto m = static_cast<long long>(std::llround(s / 60));
  return fmt::format("{} h {:02d} min", m / 60, static_cast<int>(m % 60));
}

namespace {
// Columns of the terminal `f` writes to; 0: not a terminal or unknown (no limit).
std::size_t columns(std::FILE* f) {
  winsize ws{};
  if (::ioctl(::fileno(f), TIOCGWINSZ, &ws) != 0) return 0;
  return ws.ws_col;
}
}  // namespace

ProgressBar::ProgressBar(std::string label, bool enabled, std::FILE* out)
    : label_(std::move(label)), enabled_(enabled), out_(out), width_(enabled ? columns(out) : 0), t0_(clock::now()) {}

ProgressBar::~ProgressBar() {
  // An exception unwinding through the command: end the bar's line so that the error message
  // starts on a line of its own (the bar stays as it was, not at 100 %).
  if (drawn_ && !finished_) std::fputs("\n", out_);
}

std::string ProgressBar::render(double fraction, const std::string& step, const std::string& time_text) const {
  constexpr int kWidth = 20;
  const int filled = static_cast<int>(std::floor(fraction * kWidth));
  std::string bar(static_cast<std::size_t>(filled), '=');
  if (filled < kWidth) bar += '>' + std::string(static_cast<std::size_t>(kWidth - filled - 1), ' ');
  const std::string head = fmt::format("{}: {:3d}% [{}] ", label_, static_cast<int>(std::floor(fraction * 100)), bar);
  // A line longer than the terminal would wrap, and '\r' would redraw only its last row: the
  // step is shortened (at a UTF-8 character boundary) so that the line fits.
  std::string shown = step;
  if (width_ > 0 && !shown.empty()) {
    const std::size_t fixed = head.size() + 2 + time_text.size() + 1;
    const std::size_t room = width_ > fixed + 3 ? width_ - fixed - 3 : 0;
    if (shown.size() > room + 3) {
      std::size_t cut = room;
      while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) --cut;
      shown = shown.substr(0, cut) + "...";
    }
  }
  std::string line = head + (shown.empty() ? "" : shown + ", ") + time_text;
  if (width_ > 0 && line.size() > width_ - 1) {  // a very narrow terminal: the line's start only
    std::size_t cut = width_ - 1;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    line.resize(cut);
  }
  return line;
}

void ProgressBar::draw(const std::string& line) {
  std::string out = "\r" + line;
  if (line.size() < last_width_) out += std::string(last_width_ - line.size(), ' ');
  last_width_ = line.size();
  std::fputs(out.c_str(), out_);
  std::fflush(out_);
  drawn_ = true;
  last_draw_ = clock::now();
}

void ProgressBar::update(double fraction, const std::string& step, std::optional<double> seconds_left) {
  if (!enabled_ || finished_) return;
  fraction_ = std::clamp(std::isfinite(fraction) ? fraction : 0.0, 0.0, 1.0);
  step_ = step;
  const auto now = clock::now();
  const int percent = static_cast<int>(std::floor(fraction_ * 100));
  if (drawn_ && step == last_step_ && percent == last_percent_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_step_ = step;
  last_percent_ = percent;
  const double elapsed = std::chrono::duration<double>(now - t0_).count();
  if (!seconds_left && fraction_ >= 0.02 && elapsed >= 1) seconds_left = elapsed * (1 - fraction_) / fraction_;
  draw(render(fraction_, step, seconds_left ? "~" + format_duration(*seconds_left) + " left" : "estimating time left"));
}

void ProgressBar::message(const std::string& line) {
  if (!enabled_) return;
  if (drawn_) {
    std::string out = "\r" + line;
    if (line.size() < last_width_) out += std::string(last_width_ - line.size(), ' ');
    std::fputs((out + "\n").c_str(), out_);
    last_width_ = 0;
    if (!finished_) {
      drawn_ = false;
      update(fraction_, step_);
    }
  } else {
    std::fputs((line + "\n").c_str(), out_);
  }
}

void ProgressBar::finish() {
  if (!enabled_ || finished_) return;
  const double elapsed = std::chrono::duration<double>(clock::now() - t0_).count();
  draw(render(1.0, "", "done in " + format_duration(elapsed)));
  std::fputs("\n", out_);
  last_width_ = 0;
  std::fflush(out_);
  finished_ = true;
}

}  // namespace ut::core
