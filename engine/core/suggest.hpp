#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace ut::core {

// Levenshtein edit distance (byte-wise).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, or empty when none is within a plausible distance
// (at most max(2, |word|/2) edits).
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace ut::core
