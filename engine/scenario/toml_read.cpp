#include "scenario/toml_read.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <string_view>
#include <system_error>

#include "scenario/limits.hpp"

namespace ut::scenario::detail {

using core::InputError;
using core::Where;

// A string as a message shows it: control characters escaped (a newline stays on one line).
std::string shown(const std::string& v) {
  std::string out = "\"";
  for (const char c : v) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out + "\"";
}

namespace {

// A path as a message shows it: very long ones (past PATH_MAX) cut in the middle.
std::string shown_path(const fs::path& p) {
  const std::string s = p.string();
  if (s.size() <= 200) return s;
  return fmt::format("{}...{} ({} characters)", s.substr(0, 100), s.substr(s.size() - 60), s.size());
}

// The file's bytes: a readable regular file of bounded size. Every failure names the path and
// the rule (a directory, a symbolic-link loop, a path too long, no permission).
std::string read_input_file(const fs::path& file, const std::string& what) {
  const Where where{shown_path(file), "", ""};
  std::error_code ec;
  const fs::file_status st = fs::status(file, ec);
  if (st.type() == fs::file_type::not_found) throw InputError(where, what + " file must exist", "");
  if (ec) {
    if (ec == std::errc::too_many_symbolic_link_levels)
      throw InputError(where, what + " path must not be a loop of symbolic links", ec.message());
    if (ec == std::errc::filename_too_long)
      throw InputError(where, what + " path must fit the system's limits (PATH_MAX 4096 bytes, 255 per name)",
                       ec.message());
    throw InputError(where, what + " file must be readable", ec.message());
  }
  if (st.type() == fs::file_type::directory)
    throw InputError(where, what + " path must be a TOML file, not a directory", "");
  if (st.type() != fs::file_type::regular) throw InputError(where, what + " path must be a regular file", "");
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec) throw InputError(where, what + " file must be readable", ec.message());
  if (size > limits::kMaxScenarioBytes)
    throw InputError(where, fmt::format("{} file must be at most {} MiB", what, limits::kMaxScenarioBytes >> 20),
                     fmt::format("{} bytes", size));
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw InputError(where, what + " file must be readable",
                     std::error_code(errno, std::generic_category()).message());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(where, what + " file must be readable", "read error");
  return text;
}

// Non-ASCII bytes are allowed only inside strings and comments. Checked before toml++ sees the
// text: toml++ 3.3 has undefined behaviour for a non-ASCII character where it expects
// whitespace (`name = "x" ©`). A small lexer over TOML's four string forms and its comments.
// Returns the text's ASCII skeleton: every non-ASCII byte inside a string or comment replaced by
// 'x' (same length, same structure). parse_file parses the skeleton first: toml++ reaches
// its undefined behaviour only on the way to a syntax error, and the skeleton has the same
// syntax errors in ASCII (fuzz_scenario finding: `seed = 1{{{"©"d`, a string after a '{' that
// itself follows a number).
std::string check_ascii_outside_strings(const std::string& text, const fs::path& file) {
  std::string skeleton = text;
  auto mask = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to && k < skeleton.size(); ++k)
      if (static_cast<unsigned char>(skeleton[k]) >= 0x80) skeleton[k] = 'x';
  };
  std::size_t i = 0, line = 1, line_start = 0;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // a UTF-8 byte-order mark
  const std::size_t n = text.size();
  auto starts = [&](std::size_t at, const char* d) { return text.compare(at, 3, d) == 0; };
  auto newline = [&](std::size_t at) {
    ++line;
    line_start = at + 1;
  };
  while (i < n) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      newline(i);
      ++i;
    } else if (c == '#') {
      const std::size_t from = i;
      while (i < n && text[i] != '\n') ++i;
      mask(from, i);
    } else if (c == '"' || c == '\'') {
      // Where a string may start: a key at the start of a line or after '.', '[' (a table
      // name); a value after '=', '[', ',' or '{'. Elsewhere (`seed = 1"©"`) toml++ 3.3 reports
      // an error through the same undefined behaviour, so such a string must hold ASCII only.
      std::size_t b = i;
      bool line_start_key = false;
      while (b > 0 && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r' || text[b - 1] == '\n')) {
        line_start_key |= text[b - 1] == '\n';
        --b;
      }
      const bool valid_start = b == 0 || line_start_key || (b == 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) ||
                               std::string_view("=[,{.").find(text[b - 1]) != std::string_view::npos;
      const std::size_t string_start = i, string_line = line, string_line_start = line_start;
      const bool basic = c == '"';
      const bool multi = starts(i, basic ? "\"\"\"" : "'''");
      i += multi ? 3 : 1;
      if (!valid_start) {
        // Scan ahead for non-ASCII bytes up to the end of the line: the lexer below skips the
        // string either way.
        for (std::size_t k = i; k < n && text[k] != '\n'; ++k)
          if (static_cast<unsigned char>(text[k]) >= 0x80)
            throw InputError(Where{file.string(), fmt::format("line {}, column {}", string_line, string_start - string_line_start + 1), ""},
                             "a string must follow '=', '[', ',' or '{' (or start a key); this one follows other text and "
                             "holds non-ASCII characters",
                             fmt::format("'{}' before the quote", text[b - 1]));
      }
      const std::size_t body = i;
      while (i < n) {
        const char d = text[i];
        if (basic && d == '\\') {
          if (i + 1 < n && text[i + 1] == '\n') newline(i + 1);
          i += 2;
          continue;
        }
        if (d == '\n') {
          if (!multi) break;  // an unterminated string: toml++ reports it
          newline(i);
        }
        if (d == c) {
          if (!multi) {
            ++i;
            break;
          }
          std::size_t run = 0;  // a run of three or more quotes ends the string (up to two belong to it)
          while (i + run < n && text[i + run] == c) ++run;
          i += run;
          if (run >= 3) break;
          continue;
        }
        ++i;
      }
      mask(body, i);
    } else if (u >= 0x80) {
      std::size_t len = u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : u >= 0xC0 ? 2 : 1;
      len = std::min(len, n - i);
      std::string bytes;
      for (std::size_t k = 0; k < len; ++k)
        bytes += fmt::format("{}{:02X}", k ? " " : "", static_cast<unsigned char>(text[i + k]));
      throw InputError(Where{file.string(), fmt::format("line {}, column {}", line, i - line_start + 1), ""},
                       "non-ASCII characters are allowed only inside strings and comments", "bytes " + bytes);
    } else {
      ++i;
    }
  }
  return skeleton;
}


}  // namespace

toml::table parse_file(const fs::path& file, const std::string& what) {
  const std::string text = read_input_file(file, what);
  const std::string skeleton = check_ascii_outside_strings(text, file);
  try {
    if (skeleton != text) (void)toml::parse(skeleton, file.string());  // syntax errors surface here, in ASCII
    return toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    throw InputError(Where{file.string(), fmt::format("line {}", e.source().begin.line), ""},
                     "must be valid TOML: " + std::string(e.description()), "");
  }
}

}  // namespace ut::scenario::detail
