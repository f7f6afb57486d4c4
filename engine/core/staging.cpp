#include "core/staging.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>

namespace ut::core {

namespace fs = std::filesystem;

namespace {

std::string sys_reason(int err) { return std::strerror(err); }

[[noreturn]] void refuse(const Staging::Spec& s, const std::string& rule, const std::string& value = "") {
  throw InputError(Where{s.path.string(), "", s.option}, rule, value);
}

// The absolute, normalised form of a path whose last parts may not exist yet, with symbolic
// links of the existing part resolved (so two spellings of one folder compare equal).
fs::path normal(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) abs = p;
  fs::path w = fs::weakly_canonical(abs, ec);
  return ec ? abs.lexically_normal() : w;
}

// True when `inner` is `outer` or lies below it (both normalised).
bool within(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (o->empty()) continue;  // a trailing separator
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec) && !ec;
}

void fsync_path(const fs::path& p, bool directory) {
  const int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) throw OutputError(Where{p.string(), "", ""}, "output must be flushed to disk", sys_reason(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems cannot fsync a directory (EINVAL): the data files were synced, go on.
  if (rc != 0 && !(directory && (err == EINVAL || err == EROFS)))
    throw OutputError(Where{p.string(), "", ""}, "output must be flushed to disk", sys_reason(err));
}

void fsync_tree(const fs::path& p) {
  std::error_code ec;
  if (fs::is_directory(fs::symlink_status(p, ec))) {
    for (const auto& e : fs::directory_iterator(p, ec)) fsync_tree(e.path());
    fsync_path(p, true);
  } else if (fs::is_regular_file(fs::symlink_status(p, ec))) {
    fsync_path(p, false);
  }
}

fs::path parent_of(const fs::path& final_path) { return final_path.has_parent_path() ? final_path.parent_path() : fs::path("."); }

}  // namespace

bool is_our_output(const fs::path& dir, const std::string& output_kind) {
  std::ifstream in(dir / "manifest.json");
  if (!in) return false;
  const auto m = nlohmann::json::parse(in, nullptr, false);
  if (m.is_discarded() || !m.is_object()) return false;
  const auto engine = m.find("engine");
  if (engine == m.end() || *engine != "urbantwin") return false;
  const auto kind = m.find("kind");
  // Run directories written before manifests named their kind carry "scenario" and "years".
  if (kind == m.end()) return output_kind == "run" && m.contains("scenario") && m.contains("years");
  return *kind == output_kind;
}

void check_output(const Staging::Spec& s) {
  if (s.path.empty()) refuse(s, "output path must not be empty");
  const std::string name = s.path.filename().string();
  if (name == "." || name == "..")
    refuse(s, "output path must end in a name of its own, not '.' or '..'", s.path.string());
  if (name.size() > 200) refuse(s, "output name must be at most 200 characters", fmt::format("{} characters", name.size()));
  const fs::path out = normal(s.path);
  if (out == out.root_path()) refuse(s, "output must not be the root folder", s.path.string());
  for (const auto& input : s.inputs) {
    if (input.empty()) continue;
    const fs::path in = normal(input);
    if (within(in, out) || same_file(in, s.path))
      refuse(s, out == in ? "output must not be an input" : "output must not contain an input (it would be replaced)",
             input.string());
    std::error_code ec;
    if (fs::is_directory(in, ec) && within(out, in))
      refuse(s, "output must not lie inside an input folder", input.string());
  }
  std::error_code ec;
  const auto st = fs::symlink_status(s.path, ec);
  if (ec || !fs::exists(st)) return;
  if (fs::is_symlink(st)) refuse(s, "output must not be a symbolic link", s.path.string());
  if (s.kind == Staging::Kind::directory) {
    if (!fs::is_directory(st))
      refuse(s, fmt::format("output exists and is not a folder; urbantwin replaces only an earlier {} folder", s.output_kind),
             s.path.string());
    if (!is_our_output(s.path, s.output_kind))
      refuse(s,
             fmt::format("output folder exists and is not an earlier output of urbantwin {} (its manifest.json must say so); "
                         "choose another path",
                         s.output_kind),
             s.path.string());
    if (!s.overwrite)
      refuse(s, fmt::format("output exists (an earlier {}); pass --overwrite to replace it", s.output_kind), s.path.string());
  } else {
    if (!fs::is_regular_file(st)) refuse(s, "output exists and is not a regular file", s.path.string());
    if (!s.overwrite) refuse(s, "output file exists; pass --overwrite to replace it", s.path.string());
  }
}

Staging::Staging(Spec spec) : kind_(spec.kind) {
  if (spec.path.filename().empty()) spec.path = spec.path.parent_path();
  check_output(spec);
  final_ = spec.path;
  open();
  // Checked once more under the lock: another command may have created it meanwhile.
  check_output(spec);
}

Staging::Staging(fs::path final_path, Kind kind) : final_(std::move(final_path)), kind_(kind) {
  if (final_.filename().empty()) final_ = final_.parent_path();
  open();
}

void Staging::open() {
  const fs::path parent = parent_of(final_);
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw OutputError(Where{parent.string(), "", ""}, "output folder must be creatable", ec.message());
  if (::access(parent.c_str(), W_OK | X_OK) != 0)
    throw OutputError(Where{parent.string(), "", ""}, "output folder must be writable", sys_reason(errno));
  lock();
  // Leftovers of killed commands writing this output: nobody else holds the lock, so every
  // temporary of this name is stale.
  const std::string prefix = "." + final_.filename().string() + ".tmp-";
  const std::string aside = "." + final_.filename().string() + ".old-";
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind(aside, 0) == 0 && !fs::exists(fs::symlink_status(final_, ec))) fs::rename(e.path(), final_, ec);
  }
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind(prefix, 0) == 0 || n.rfind(aside, 0) == 0) fs::remove_all(e.path(), ec);
  }
  temp_ = parent / (prefix + std::to_string(::getpid()));
  if (kind_ == Kind::directory) {
    fs::create_directory(temp_, ec);
    if (ec) {
      unlock();
      throw OutputError(Where{parent.string(), "", ""}, "output folder must be writable", ec.message());
    }
  }
}

void Staging::lock() {
  lock_path_ = parent_of(final_) / ("." + final_.filename().string() + ".lock");
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw OutputError(Where{parent_of(final_).string(), "", ""}, "output folder must be writable", sys_reason(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK)
        throw OutputError(Where{final_.string(), "", ""}, "output must not be written by two commands at once",
                          "another urbantwin command is writing it now");
      throw OutputError(Where{lock_path_.string(), "", ""}, "output lock must be takeable", sys_reason(err));
    }
    // The holder before us may have removed the lock file after we opened it: then our lock is
    // on a file nobody else sees; take the one that is there now.
    struct stat a {}, b {};
    if (::fstat(fd, &a) == 0 && ::stat(lock_path_.c_str(), &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
      lock_fd_ = fd;
      return;
    }
    ::close(fd);
  }
  throw OutputError(Where{lock_path_.string(), "", ""}, "output lock must be takeable", "it keeps changing");
}

void Staging::unlock() {
  if (lock_fd_ < 0) return;
  ::unlink(lock_path_.c_str());  // while still holding it (see lock())
  ::close(lock_fd_);
  lock_fd_ = -1;
}

Staging::~Staging() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
  unlock();
}

void Staging::commit() {
  fsync_tree(temp_);
  std::error_code ec;
  const bool exists = fs::exists(fs::symlink_status(final_, ec));
  if (exists && kind_ == Kind::directory) {
    // One atomic exchange: at every instant either the old or the new output is under the final
    // name. The old one ends up under the temporary name and is removed afterwards.
    if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, final_.c_str(), RENAME_EXCHANGE) != 0) {
      if (errno != EINVAL && errno != ENOSYS)
        throw OutputError(Where{final_.string(), "", ""}, "earlier output must be exchangeable with the new one (renameat2)",
                          sys_reason(errno));
      // No RENAME_EXCHANGE on this file system: move the old output aside under a name the next
      // command restores (see open()) if we are killed between the two renames.
      const fs::path aside = parent_of(final_) / ("." + final_.filename().string() + ".old-" + std::to_string(::getpid()));
      if (::rename(final_.c_str(), aside.c_str()) != 0)
        throw OutputError(Where{final_.string(), "", ""}, "earlier output must be replaceable", sys_reason(errno));
      if (::rename(temp_.c_str(), final_.c_str()) != 0) {
        const int err = errno;
        ::rename(aside.c_str(), final_.c_str());
        throw OutputError(Where{final_.string(), "", ""}, "output must be renamable into place", sys_reason(err));
      }
      fs::rename(aside, temp_, ec);
    }
    committed_ = true;
    fsync_path(parent_of(final_), true);
    fs::remove_all(temp_, ec);
  } else {
    // A file replaces its earlier version atomically with rename(2); a new directory takes a
    // name nobody holds (RENAME_NOREPLACE: never replace what appeared meanwhile).
    const unsigned flags = exists ? 0u : RENAME_NOREPLACE;
    if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, final_.c_str(), flags) != 0)
      throw OutputError(Where{final_.string(), "", ""}, "output must be renamable into place", sys_reason(errno));
    committed_ = true;
    fsync_path(parent_of(final_), true);
  }
}

std::string Staging::final_names(std::string message) const {
  const std::string from = temp_.string(), to = final_.string();
  for (std::size_t at = message.find(from); at != std::string::npos; at = message.find(from, at + to.size()))
    message.replace(at, from.size(), to);
  return message;
}

FileWriter::FileWriter(const fs::path& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw OutputError(Where{path.string(), "", ""}, "output file must be creatable", sys_reason(errno));
}

FileWriter::~FileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void FileWriter::fail(const char* rule) {
  const int err = errno;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  throw OutputError(Where{path_.string(), "", ""}, rule, sys_reason(err));
}

void FileWriter::write(std::string_view bytes) {
  if (fd_ < 0) throw std::logic_error("FileWriter::write after close: " + path_.string());
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("output must be written completely");
    }
    if (n == 0) {
      errno = EIO;
      fail("output must be written completely");
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  bytes_ += bytes.size();
}

void FileWriter::close() {
  if (fd_ < 0) return;
  if (::fsync(fd_) != 0) fail("output must be flushed to disk");
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw OutputError(Where{path_.string(), "", ""}, "output file must close cleanly", sys_reason(errno));
}

void write_file(const fs::path& path, std::string_view content) {
  FileWriter f(path);
  f.write(content);
  f.close();
}

}  // namespace ut::core
