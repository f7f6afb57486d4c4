#pragma once
// Output safety (docs/conventions.md, "Output safety"): an output is built in a temporary sibling
// and committed in one atomic step, so a failed or killed command never leaves a half-written
// output under the final name and never damages an earlier one.
//
//   OutputSpec spec{out, Staging::Kind::directory, "run", overwrite, {scenario, layers...}, "--out"};
//   Staging staging(spec);          // checks and locks BEFORE any work: exit 2 when refused
//   ... write files into staging.temp() with write_file() or GDAL ...
//   staging.commit();               // fsync everything, then one atomic exchange with the old output
//
// The checks: the output is not an input, is not inside an input folder and does not contain an
// input; an existing directory is replaced only when it is an earlier output of the same kind
// (its manifest.json says {"engine": "urbantwin", "kind": KIND}) and `overwrite` is set; an
// existing file only when `overwrite` is set; the parent folder is created and must be writable.
// A lock held for the object's lifetime keeps two commands from writing one output; leftover
// temporaries of killed commands are removed when the lock is taken.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace ut::core {

// A failure to write an output (disk full, I/O error, permissions): exit code 2 like bad input,
// with the file and the system's reason.
class OutputError : public InputError {
 public:
  using InputError::InputError;
};

class Staging {
 public:
  enum class Kind { file, directory };

  struct Spec {
    std::filesystem::path path;
    Kind kind = Kind::directory;
    std::string output_kind;  // "run", "compare", "study" (directories); a word for messages (files)
    bool overwrite = false;
    std::vector<std::filesystem::path> inputs;  // every file or folder the command reads
    std::string option = "--out";               // the option that named the output, for messages
  };

  explicit Staging(Spec spec);
  // Without checks against inputs and earlier outputs: replaces an existing file of the same
  // path (the viewer's snapshots). Still atomic, locked and cleaned.
  Staging(std::filesystem::path final_path, Kind kind);
  ~Staging();
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  const std::filesystem::path& temp() const { return temp_; }
  const std::filesystem::path& final_path() const { return final_; }
  // Flushes every file of the temporary to disk, then puts it under the final name in one atomic
  // step (the earlier output, if any, is removed afterwards). Throws OutputError on failure, in
  // which case the earlier output is still in place.
  void commit();

  // Runs fill(temp()) and commits. An OutputError from fill names the final path, not the hidden
  // temporary (".NAME.tmp-PID/indicators.csv" reads "NAME/indicators.csv").
  template <class Fill>
  void write_and_commit(Fill&& fill) {
    try {
      fill(temp_);
    } catch (const OutputError& e) {
      throw OutputError(final_names(e.what()));
    }
    commit();
  }
  std::string final_names(std::string message) const;

 private:
  std::filesystem::path final_;
  std::filesystem::path temp_;
  std::filesystem::path lock_path_;
  Kind kind_;
  int lock_fd_ = -1;
  bool committed_ = false;
  void open();
  void lock();
  void unlock();
};

// Checks an output path against the rules above without creating anything.
void check_output(const Staging::Spec& spec);

// Writes a whole file with every write checked, fsync'ed and closed (OutputError on failure).
void write_file(const std::filesystem::path& path, std::string_view content);

// A file written piece by piece (a table that grows year by year), with the same checks as
// write_file: every write, the fsync and the close (OutputError naming the file and the system's
// reason). close() finishes it; a FileWriter destroyed without close() just closes the descriptor
// (the file is a temporary that will be removed).
class FileWriter {
 public:
  explicit FileWriter(const std::filesystem::path& path);  // creates or truncates
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;
  void write(std::string_view bytes);
  void close();  // fsync and close
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t bytes_ = 0;
  [[noreturn]] void fail(const char* rule);
};

// True when DIR/manifest.json is a manifest urbantwin wrote for an output of this kind.
bool is_our_output(const std::filesystem::path& dir, const std::string& output_kind);

}  // namespace ut::core
