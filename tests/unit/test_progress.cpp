// core::ProgressBar: what it draws, byte for byte, into a temporary file in place of stderr.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "core/progress.hpp"

namespace {

struct Capture {
  std::FILE* f = std::tmpfile();
  ~Capture() { std::fclose(f); }
  std::string text() const {
    std::fflush(f);
    std::rewind(f);
    std::string out;
    for (int c; (c = std::fgetc(f)) != EOF;) out += static_cast<char>(c);
    return out;
  }
};

}  // namespace

TEST_CASE("format_duration: seconds below 90 s, minutes below 90 min, then hours") {
  CHECK(ut::core::format_duration(0) == "0 s");
  CHECK(ut::core::format_duration(12.4) == "12 s");
  CHECK(ut::core::format_duration(89.4) == "89 s");
  CHECK(ut::core::format_duration(90) == "2 min");  // 1.5 min rounds to even: 2
  CHECK(ut::core::format_duration(45 * 60) == "45 min");
  CHECK(ut::core::format_duration(5400) == "1 h 30 min");
  CHECK(ut::core::format_duration(-3) == "0 s");
}

TEST_CASE("progress_wanted: --progress or a terminal, never with --quiet or --json") {
  CHECK(ut::core::progress_wanted(true, false, false));
  CHECK_FALSE(ut::core::progress_wanted(true, true, false));
  CHECK_FALSE(ut::core::progress_wanted(true, false, true));
}

TEST_CASE("ProgressBar draws percentage, step and time left in place, then 100 % and a newline") {
  Capture c;
  {
    ut::core::ProgressBar bar("urbantwin run", true, c.f);
    bar.update(0.5, "2025 traffic", 30.0);
    bar.update(0.5, "2025 traffic", 30.0);  // same step and percentage within 0.1 s: not redrawn
    bar.update(0.25, "x", 6000.0);
  }
  const std::string want1 = "\rurbantwin run:  50% [==========>         ] 2025 traffic, ~30 s left";
  const std::string want2 = "\rurbantwin run:  25% [=====>              ] x, ~1 h 40 min left";
  // The second line is padded with spaces over the end of the longer first one; the destructor of
  // an unfinished bar ends its line.
  CHECK(c.text() == want1 + want2 + std::string(want1.size() - want2.size(), ' ') + "\n");
}

TEST_CASE("ProgressBar: no estimate before 2 % or 1 s, finish draws 100 % once, messages above the bar") {
  Capture c;
  ut::core::ProgressBar bar("b", true, c.f);
  bar.update(0.0, "start");
  bar.message("a warning");
  bar.finish();
  bar.finish();
  bar.update(0.7, "late");  // after finish: nothing
  const std::string t = c.text();
  const std::string first = "\rb:   0% [>                   ] start, estimating time left";
  CHECK(t.rfind(first, 0) == 0);
  // The message replaces the bar's line (padded), then the bar is drawn again below it.
  const std::string msg = "\ra warning" + std::string(first.size() - 1 - std::string("a warning").size(), ' ') + "\n";
  CHECK(t.substr(first.size(), msg.size()) == msg);
  CHECK(t.substr(first.size() + msg.size(), first.size()) == first);
  const std::string tail = t.substr(first.size() * 2 + msg.size());
  CHECK(tail.rfind("\rb: 100% [====================] done in 0 s", 0) == 0);
  CHECK(tail.back() == '\n');
  CHECK(tail.find('\n') == tail.size() - 1);  // one final newline, once
}

TEST_CASE("ProgressBar disabled: nothing at all") {
  Capture c;
  {
    ut::core::ProgressBar bar("b", false, c.f);
    bar.update(0.5, "x", 3.0);
    bar.message("m");
    bar.finish();
  }
  CHECK(c.text().empty());
}
