#include "tntp/tntp.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "core/error.hpp"

namespace ut::tntp {

namespace {

using core::InputError;
using core::Where;

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(Where{file.string(), "", ""}, "the file must exist and be readable", file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f' || ch == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Lines with their 1-based numbers.
class Lines {
 public:
  explicit Lines(const std::string& text) : text_(text) {}
  bool next(std::string_view& line) {
    if (at_ >= text_.size()) return false;
    std::size_t end = text_.find('\n', at_);
    if (end == std::string::npos) end = text_.size();
    line = std::string_view(text_).substr(at_, end - at_);
    at_ = end + 1;
    ++number_;
    return true;
  }
  std::size_t number() const { return number_; }

 private:
  const std::string& text_;
  std::size_t at_ = 0;
  std::size_t number_ = 0;
};

struct Ctx {
  std::string file;
  std::size_t line = 0;
  Where where(const std::string& field) const {
    return Where{file, line ? "line " + std::to_string(line) : std::string(), field};
  }
  [[noreturn]] void fail(const std::string& field, const std::string& rule, std::string_view value) const {
    throw InputError(where(field), rule, std::string(value));
  }
  // A tolerated problem: "FILE: line N: FIELD: TEXT", the same place an error would name.
  std::string warning(const std::string& field, const std::string& text) const {
    return core::describe(where(field)) + ": " + text;
  }
};

// A number a double holds exactly enough to compute with: finite, and 0 or normal (subnormal
// numbers such as 1e-320 carry almost no precision and turn into inf when divided by or raised).
// `field` names the field, or is a function that makes its name (called only for a message).
template <class Field>
double to_double(const Ctx& cx, std::string_view tok, const Field& field) {
  double v = 0;
  const char* b = tok.data();
  const char* e = tok.data() + tok.size();
  if (!tok.empty() && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  const auto name = [&]() -> std::string {
    if constexpr (std::is_invocable_v<const Field&>)
      return field();
    else
      return field;
  };
  if (p != e || (ec != std::errc() && ec != std::errc::result_out_of_range))
    cx.fail(name(), "must be a finite number", tok);
  if (ec != std::errc() || !std::isfinite(v) || (v != 0 && !std::isnormal(v)))
    cx.fail(name(),
            "must be a finite number, 0 or of magnitude between 2.2250738585072014e-308 and 1.7976931348623157e+308 "
            "(no inf, nan or subnormal numbers)",
            tok);
  return v;
}

// Integers are written as integers: "3.5", "3.0" and "3e2" are refused, never truncated.
std::int64_t to_int(const Ctx& cx, std::string_view tok, const std::string& field) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
  if (ec != std::errc() || p != tok.data() + tok.size()) cx.fail(field, "must be an integer", tok);
  return v;
}

// An integer within [lo, hi]; `range` says so in the message.
std::int64_t to_int(const Ctx& cx, std::string_view tok, const std::string& field, std::int64_t lo, std::int64_t hi,
                    const std::string& range) {
  const std::int64_t v = to_int(cx, tok, field);
  if (v < lo || v > hi) cx.fail(field, "must be " + range, tok);
  return v;
}

std::vector<std::string_view> tokens(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    std::size_t j = i;
    while (j < line.size() && !is_space(line[j])) ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  // A trailing ';' (its own token, or glued to the last value) ends the row.
  if (!out.empty() && out.back() == ";") out.pop_back();
  else if (!out.empty() && out.back().size() > 1 && out.back().back() == ';') out.back().remove_suffix(1);
  return out;
}

struct Metadata {
  std::map<std::string, std::pair<std::string, std::size_t>> tags;  // tag -> (value, line)
  bool ended = false;
};

// Reads `<TAG> value` lines up to `<END OF METADATA>`; blank and `~` lines are skipped.
Metadata read_metadata(Lines& lines, Ctx& cx) {
  Metadata md;
  std::string_view line;
  while (lines.next(line)) {
    cx.line = lines.number();
    const std::string_view t = trim(line);
    if (t.empty() || t.front() == '~') continue;
    if (t.front() != '<') cx.fail("metadata", "metadata lines have the form <TAG> value, ending with <END OF METADATA>", t);
    const std::size_t close = t.find('>');
    if (close == std::string_view::npos) cx.fail("metadata", "a metadata tag must be closed by '>'", t);
    const std::string tag(t.substr(1, close - 1));
    if (tag == "END OF METADATA") {
      md.ended = true;
      return md;
    }
    md.tags[tag] = {std::string(trim(t.substr(close + 1))), cx.line};
  }
  cx.line = 0;
  cx.fail("<END OF METADATA>", "the metadata block must end with <END OF METADATA>", "end of file");
}

std::int64_t int_tag(const Metadata& md, Ctx& cx, const std::string& tag) {
  auto it = md.tags.find(tag);
  if (it == md.tags.end()) {
    cx.line = 0;
    cx.fail("<" + tag + ">", "the metadata must give <" + tag + ">", "missing");
  }
  cx.line = it->second.second;
  return to_int(cx, it->second.first, "<" + tag + ">");
}

}  // namespace

traffic::Network read_net(const std::filesystem::path& file, bool strict) {
  const std::string text = read_all(file);
  Ctx cx{file.string()};
  Lines lines(text);
  const Metadata md = read_metadata(lines, cx);
  const std::int64_t zones = int_tag(md, cx, "NUMBER OF ZONES");
  const std::size_t zones_line = cx.line;
  const std::int64_t nodes = int_tag(md, cx, "NUMBER OF NODES");
  const std::size_t nodes_line = cx.line;
  if (nodes < 1 || nodes > 100'000'000) cx.fail("<NUMBER OF NODES>", "must be between 1 and 100,000,000", std::to_string(nodes));
  cx.line = zones_line;
  if (zones < 1 || zones > nodes) cx.fail("<NUMBER OF ZONES>", "must be between 1 and the number of nodes (" + std::to_string(nodes) + ")", std::to_string(zones));
  const std::int64_t ftn = int_tag(md, cx, "FIRST THRU NODE");
  if (ftn < 1 || ftn > zones + 1) cx.fail("<FIRST THRU NODE>", "must be between 1 and the number of zones + 1 (" + std::to_string(zones + 1) + ")", std::to_string(ftn));
  const std::int64_t links = int_tag(md, cx, "NUMBER OF LINKS");
  const std::size_t links_line = cx.line;
  if (links < 1 || links > 1'000'000'000)
    cx.fail("<NUMBER OF LINKS>", "must be between 1 and 1,000,000,000", std::to_string(links));

  // Memory follows what the file holds, not what its header claims: a link row takes at least
  // 20 bytes ("1 2 1 0 0 0 0 0 0 0" and a newline), and the node count is checked against the
  // rows below before any per-node array exists.
  std::vector<traffic::LinkRow> rows;
  std::vector<std::size_t> row_line;
  // Self-loops (public files have them, e.g. a centroid connector to itself) can never carry flow:
  // dropped with one warning naming the first and counting them all (strict: an error).
  std::vector<std::size_t> loop_line;
  std::vector<std::uint32_t> loop_node;
  std::int64_t row_count = 0;
  rows.reserve(
      static_cast<std::size_t>(std::min<std::int64_t>(links, static_cast<std::int64_t>(text.size() / 20 + 1))));
  static const char* names[] = {"init_node", "term_node", "capacity", "length", "free_flow_time",
                                "b", "power", "speed", "toll", "link_type"};
  std::string_view line;
  while (lines.next(line)) {
    cx.line = lines.number();
    const std::string_view t = trim(line);
    if (t.empty() || t.front() == '~') continue;
    const auto tok = tokens(t);
    if (tok.size() != 10)
      cx.fail("link row", "a link row has 10 columns (init_node term_node capacity length free_flow_time b power speed toll link_type), then an optional ';'",
              std::to_string(tok.size()) + " columns: " + std::string(t));
    traffic::LinkRow r;
    const std::int64_t from = to_int(cx, tok[0], names[0]);
    const std::int64_t to = to_int(cx, tok[1], names[1]);
    if (from < 1 || from > nodes) cx.fail(names[0], "must be a node id between 1 and " + std::to_string(nodes), tok[0]);
    if (to < 1 || to > nodes) cx.fail(names[1], "must be a node id between 1 and " + std::to_string(nodes), tok[1]);
    if (from == to && strict)
      cx.fail(names[1],
              "a link must join two different nodes (no self-loops; without --strict a self-loop is dropped with a "
              "warning)",
              tok[1]);
    r.tail = static_cast<std::uint32_t>(from - 1);
    r.head = static_cast<std::uint32_t>(to - 1);
    double v[8];
    for (int k = 0; k < 8; ++k) v[k] = to_double(cx, tok[static_cast<std::size_t>(k) + 2], names[k + 2]);
    r.capacity = v[0];
    r.length = v[1];
    r.fft = v[2];
    r.b = v[3];
    r.power = v[4];
    r.toll = v[6];
    if (!(r.capacity > 0)) cx.fail(names[2], "must be > 0", tok[2]);
    for (int k : {1, 2, 3, 4, 6})
      if (v[k] < 0) cx.fail(names[k + 2], "must be >= 0", tok[static_cast<std::size_t>(k) + 2]);
    for (int k : {1, 2, 6})
      if (v[k] > traffic::kMaxLinkValue)
        cx.fail(names[k + 2], "must be at most 1e12", tok[static_cast<std::size_t>(k) + 2]);
    if (r.power > traffic::kMaxPower)
      cx.fail(names[6], "must be between 0 and 20 (x^power must stay finite for every flow up to 1e15 trips)", tok[6]);
    r.type = static_cast<int>(
        to_int(cx, tok[9], names[9], -2147483648LL, 2147483647LL, "between -2147483648 and 2147483647"));
    ++row_count;
    if (from == to) {  // checked like every row, then dropped
      loop_line.push_back(cx.line);
      loop_node.push_back(r.tail);
      continue;
    }
    rows.push_back(r);
    row_line.push_back(cx.line);
  }
  if (row_count != links) {
    cx.line = links_line;
    cx.fail("<NUMBER OF LINKS>", "must equal the number of link rows in the file (" + std::to_string(row_count) + ")",
            std::to_string(links));
  }
  std::vector<std::string> warnings;
  if (!loop_line.empty()) {
    cx.line = loop_line[0];
    const std::string id = std::to_string(loop_node[0] + 1);
    std::string said = "link " + id + " -> " + id + " is a self-loop, which can never carry flow: dropped";
    if (loop_line.size() > 1) {
      said += fmt::format(", with {} more self-loop{} ({} in all; the next on line", loop_line.size() - 1,
                          loop_line.size() > 2 ? "s" : "", loop_line.size());
      const std::size_t shown = std::min<std::size_t>(loop_line.size(), 6);
      said += shown > 2 ? "s " : " ";
      for (std::size_t i = 1; i < shown; ++i) said += (i > 1 ? ", " : "") + std::to_string(loop_line[i]);
      said += shown < loop_line.size() ? ", ...)" : ")";
    }
    warnings.push_back(cx.warning("term_node", said));
    if (rows.empty()) {
      cx.line = links_line;
      cx.fail("<NUMBER OF LINKS>", "the network must have a link that is not a self-loop", std::to_string(links));
    }
  }
  // Nodes that no link row touches are isolated: a few are common (unused ids), but a header that
  // declares far more nodes than the rows use does not describe this file, and every node costs
  // memory in every solver thread.
  {
    std::vector<std::uint32_t> used;
    used.reserve(2 * rows.size());
    for (const auto& r : rows) {
      used.push_back(r.tail);
      used.push_back(r.head);
    }
    used.insert(used.end(), loop_node.begin(), loop_node.end());
    std::sort(used.begin(), used.end());
    const auto distinct = static_cast<std::int64_t>(std::unique(used.begin(), used.end()) - used.begin());
    if (nodes > 2 * distinct + 1000) {
      cx.line = nodes_line;
      cx.fail("<NUMBER OF NODES>",
              "must be at most twice the number of distinct nodes the link rows use, plus 1,000 (" +
                  std::to_string(distinct) + " used, so at most " + std::to_string(2 * distinct + 1000) + ")",
              std::to_string(nodes));
    }
  }
  std::string name = file.stem().string();
  if (name.size() > 4 && name.substr(name.size() - 4) == "_net") name.resize(name.size() - 4);
  auto net = traffic::make_network(name, static_cast<std::uint32_t>(nodes), static_cast<std::uint32_t>(zones),
                                   static_cast<std::uint32_t>(ftn - 1), rows);
  net.source_line = std::move(row_line);
  net.source_file = file.string();
  net.warnings = std::move(warnings);
  return net;
}

namespace {

// Walks the entries of a trip table after its metadata: `Origin <zone>` lines (checked: an
// integer zone, listed once) and `destination : trips;` items, calling on_entry(origin, dtok, vtok)
// for each item with cx.line on its line. Run again over the same text it finds the same entries.
template <class OnEntry>
void scan_entries(Lines& lines, Ctx& cx, std::int64_t zones, OnEntry&& on_entry) {
  std::vector<std::uint8_t> seen_origin(static_cast<std::size_t>(zones), 0);
  std::int64_t origin = -1;
  std::string_view line;
  while (lines.next(line)) {
    cx.line = lines.number();
    std::string_view t = trim(line);
    if (t.empty() || t.front() == '~') continue;
    if (t.substr(0, 6) == "Origin") {
      const auto tok = tokens(t.substr(6));
      if (tok.size() != 1) cx.fail("Origin", "an Origin line names one zone", t);
      origin = to_int(cx, tok[0], "Origin");
      if (origin < 1 || origin > zones) cx.fail("Origin", "must be a zone between 1 and " + std::to_string(zones), tok[0]);
      if (seen_origin[static_cast<std::size_t>(origin - 1)]) cx.fail("Origin", "each origin is listed once", tok[0]);
      seen_origin[static_cast<std::size_t>(origin - 1)] = 1;
      continue;
    }
    if (origin < 0) cx.fail("demand", "demand entries must follow an 'Origin <zone>' line", t);
    while (!t.empty()) {
      const std::size_t semi = t.find(';');
      const std::string_view item = trim(t.substr(0, semi));
      t = semi == std::string_view::npos ? std::string_view() : t.substr(semi + 1);
      if (item.empty()) continue;
      const std::size_t colon = item.find(':');
      if (colon == std::string_view::npos) cx.fail("demand entry", "entries have the form 'destination : trips;'", item);
      on_entry(origin, trim(item.substr(0, colon)), trim(item.substr(colon + 1)));
    }
  }
}

std::string trips_field(std::int64_t origin, std::int64_t dest) {
  return "trips from " + std::to_string(origin) + " to " + std::to_string(dest);
}

}  // namespace

traffic::Demand read_trips(const std::filesystem::path& file, const traffic::Network& net, bool strict) {
  const std::string text = read_all(file);
  Ctx cx{file.string()};
  Lines lines(text);
  const Metadata md = read_metadata(lines, cx);
  const std::int64_t zones = int_tag(md, cx, "NUMBER OF ZONES");
  if (zones != net.zone_count)
    cx.fail("<NUMBER OF ZONES>", "must equal the network's number of zones (" + std::to_string(net.zone_count) + ")", std::to_string(zones));
  double declared = -1;
  std::size_t declared_line = 0;
  if (auto it = md.tags.find("TOTAL OD FLOW"); it != md.tags.end()) {
    cx.line = declared_line = it->second.second;
    declared = to_double(cx, it->second.first, "<TOTAL OD FLOW>");
    if (declared < 0 || declared > traffic::kMaxTotalDemand)
      cx.fail("<TOTAL OD FLOW>", "must be between 0 and 1e15 trips", it->second.first);
  }
  traffic::DemandBuilder builder(net.zone_count);
  std::vector<std::int64_t> seen_dest(net.zone_count, -1);  // origin that last listed it
  double sum = 0;
  scan_entries(lines, cx, zones, [&](std::int64_t origin, std::string_view dtok, std::string_view vtok) {
    const std::int64_t dest = to_int(cx, dtok, "destination");
    if (dest < 1 || dest > zones) cx.fail("destination", "must be a zone between 1 and " + std::to_string(zones), dtok);
    // The field's name is made only for a message (not for each of a large table's entries).
    const double v = to_double(cx, vtok, [&] { return trips_field(origin, dest); });
    if (v < 0) cx.fail(trips_field(origin, dest), "demand must be >= 0", vtok);
    if (seen_dest[static_cast<std::size_t>(dest - 1)] == origin)
      cx.fail("destination", "each destination is listed once per origin", dtok);
    seen_dest[static_cast<std::size_t>(dest - 1)] = origin;
    sum += v;
    if (sum > traffic::kMaxTotalDemand)
      cx.fail(trips_field(origin, dest),
              "the trip table's total demand must be at most 1e15 trips (this entry brings it past)", vtok);
    builder.add(static_cast<std::uint32_t>(origin - 1), static_cast<std::uint32_t>(dest - 1), v);
  });
  std::vector<std::string> warnings;
  // <TOTAL OD FLOW> is often rounded (public files give it to 6 significant digits): within 1 % of
  // the entries' sum it is a warning and the entries are used; beyond, the file is inconsistent.
  if (declared >= 0 && std::abs(sum - declared) > 1e-6 * std::max(1.0, declared) + 1e-3) {
    cx.line = declared_line;
    const std::string& written = md.tags.at("TOTAL OD FLOW").first;
    const std::string rule = fmt::format("must equal the sum of the demand entries ({:.10g})", sum);
    const double off = std::abs(sum - declared);
    if (!(off <= 0.01 * sum)) cx.fail("<TOTAL OD FLOW>", rule + " within 1 %", written);
    if (strict) cx.fail("<TOTAL OD FLOW>", rule + " (without --strict, within 1 % is a warning)", written);
    warnings.push_back(cx.warning(
        "<TOTAL OD FLOW>", fmt::format("{} differs from the sum of the demand entries ({:.10g}) by {:.2g} % (less than "
                                       "1 %): the entries are used",
                                       written, sum, 100 * off / sum)));
  }
  traffic::Demand dm = builder.build();
  // Demand between zones that no path joins (public files have some): excluded from the
  // assignment and the gap with one warning naming the first pairs (strict: an error); an error
  // when nothing is left.
  const double loaded = dm.total;
  const auto lost = traffic::exclude_unreachable(net, dm);
  if (!lost.empty()) {
    // The lines of the first pairs, found by a second pass over the (already checked) entries.
    const std::size_t shown = std::min<std::size_t>(lost.size(), 6);
    std::vector<std::size_t> at(shown, 0);
    std::vector<std::string> written(shown);
    {
      Lines again(text);
      Ctx cx2{file.string()};
      read_metadata(again, cx2);
      std::size_t next = 0;  // entries come in file order, pairs in (origin, destination) order
      scan_entries(again, cx2, zones, [&](std::int64_t origin, std::string_view dtok, std::string_view vtok) {
        std::int64_t dest = 0;
        std::from_chars(dtok.data(), dtok.data() + dtok.size(), dest);
        for (std::size_t i = next; i < shown; ++i)
          if (lost[i].origin + 1 == static_cast<std::uint64_t>(origin) &&
              lost[i].dest + 1 == static_cast<std::uint64_t>(dest)) {
            at[i] = cx2.line;
            written[i] = std::string(vtok);
          }
        while (next < shown && at[next] != 0) ++next;
      });
    }
    const std::string where_net = net.source_file.empty() ? "network " + net.name : net.source_file;
    const auto label = [&](std::uint32_t zone) { return net.node_label[zone]; };
    cx.line = at[0];
    const std::string field = trips_field(label(lost[0].origin), label(lost[0].dest));
    const std::string all =
        fmt::format("{} pair{}, {:.10g} trips", lost.size(), lost.size() > 1 ? "s" : "", dm.unreachable);
    if (dm.origin.empty())
      cx.fail(field,
              "demand cannot be served: no pair of the trip table has a path in " + where_net +
                  " (a path never passes through a zone below <FIRST THRU NODE>; " + all + ")",
              written[0]);
    if (strict)
      cx.fail(field,
              "demand cannot be served: no path in " + where_net +
                  " (a path never passes through a zone below <FIRST THRU NODE>; without --strict the pairs without "
                  "one, " + all + ", are excluded with a warning)",
              written[0]);
    std::string text_w = fmt::format(
        "no path in {} serves these {} trips: excluded from the assignment and from the gap", where_net, written[0]);
    if (lost.size() == 1) {
      text_w += fmt::format(" ({:.2g} % of the demand)", 100 * dm.unreachable / loaded);
    } else {
      text_w += fmt::format(", with {} more pair{} that no path serves ({} in all, {:.2g} % of the demand; the next:",
                            lost.size() - 1, lost.size() > 2 ? "s" : "", all, 100 * dm.unreachable / loaded);
      for (std::size_t i = 1; i < shown; ++i)
        text_w += fmt::format("{} {} -> {} on line {}", i > 1 ? "," : "", label(lost[i].origin), label(lost[i].dest),
                              at[i]);
      text_w += shown < lost.size() ? ", ...)" : ")";
    }
    warnings.push_back(cx.warning(field, text_w));
  }
  dm.warnings = std::move(warnings);
  return dm;
}

std::vector<FlowRow> read_flow(const std::filesystem::path& file) {
  const std::string text = read_all(file);
  Ctx cx{file.string()};
  Lines lines(text);
  std::vector<FlowRow> rows;
  std::string_view line;
  while (lines.next(line)) {
    cx.line = lines.number();
    const std::string_view t = trim(line);
    if (t.empty() || t.front() == '~' || t.front() == '<') continue;
    const auto tok = tokens(t);
    if (rows.empty() && !tok.empty() && (tok[0] == "From" || tok[0] == "Tail" || tok[0] == "from")) continue;  // header
    if (tok.size() != 4) cx.fail("flow row", "a flow row has 4 columns: from to volume cost", t);
    FlowRow r;
    r.from = to_int(cx, tok[0], "from");
    r.to = to_int(cx, tok[1], "to");
    r.volume = to_double(cx, tok[2], "volume");
    r.cost = to_double(cx, tok[3], "cost");
    rows.push_back(r);
  }
  return rows;
}

}  // namespace ut::tntp
