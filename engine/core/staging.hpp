#pragma once
// Atomic replacement of an output (file or directory): everything is written into a temporary
// sibling, and only commit() renames it over the final path. If the object is destroyed without
// commit() (an error, an exception), the temporary sibling is removed and the final path is
// untouched, so an earlier output with the same name survives.
#include <filesystem>

namespace ut::core {

class Staging {
 public:
  enum class Kind { file, directory };
  Staging(std::filesystem::path final_path, Kind kind);
  ~Staging();
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  const std::filesystem::path& temp() const { return temp_; }
  const std::filesystem::path& final_path() const { return final_; }
  void commit();

 private:
  std::filesystem::path final_;
  std::filesystem::path temp_;
  Kind kind_;
  bool committed_ = false;
};

}  // namespace ut::core
