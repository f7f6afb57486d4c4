#include "core/staging.hpp"

#include <unistd.h>

#include <string>
#include <system_error>

#include "core/error.hpp"

namespace ut::core {

namespace fs = std::filesystem;

Staging::Staging(fs::path final_path, Kind kind) : final_(std::move(final_path)), kind_(kind) {
  if (final_.filename().empty()) final_ = final_.parent_path();
  const fs::path parent = final_.has_parent_path() ? final_.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw InputError(Where{parent.string(), "", ""}, "output folder must be creatable", ec.message());
  temp_ = parent / ("." + final_.filename().string() + ".tmp-" + std::to_string(::getpid()));
  fs::remove_all(temp_, ec);
  if (kind_ == Kind::directory) {
    fs::create_directory(temp_, ec);
    if (ec) throw InputError(Where{temp_.string(), "", ""}, "output folder must be writable", ec.message());
  }
}

Staging::~Staging() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
}

void Staging::commit() {
  std::error_code ec;
  if (kind_ == Kind::directory && fs::exists(final_)) {
    // rename(2) cannot replace a non-empty directory: move the old one aside first, then drop it.
    const fs::path old = temp_.string() + ".old";
    fs::remove_all(old, ec);
    fs::rename(final_, old, ec);
    if (ec) throw InputError(Where{final_.string(), "", ""}, "earlier output must be replaceable", ec.message());
    fs::rename(temp_, final_, ec);
    if (ec) {
      fs::rename(old, final_);
      throw InputError(Where{final_.string(), "", ""}, "output must be renamable into place", ec.message());
    }
    fs::remove_all(old, ec);
  } else {
    fs::rename(temp_, final_, ec);
    if (ec) throw InputError(Where{final_.string(), "", ""}, "output must be renamable into place", ec.message());
  }
  committed_ = true;
}

}  // namespace ut::core
