// A tiny LD_PRELOAD shim for the output-safety fault tests (tests/cli/output_safety.sh), never
// linked into UrbanTwin itself:
//   UT_FAIL_WRITE=SUFFIX   write(2)/pwrite(2)/writev(2) on a file whose path ends in SUFFIX fails
//                          with ENOSPC (a full disk while writing that one file);
//   UT_KILL_RENAME=before|after   the process kills itself with SIGKILL just before / just after
//                          the first renameat2(2) or rename(2) whose target ends in UT_KILL_TARGET
//                          (the instant an output is committed).
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <cstdio>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace {

bool ends_with(const char* s, const char* suffix) {
  const std::size_t n = std::strlen(s), m = std::strlen(suffix);
  return m > 0 && n >= m && std::strcmp(s + n - m, suffix) == 0;
}

bool fd_fails(int fd) {
  const char* suffix = std::getenv("UT_FAIL_WRITE");
  if (suffix == nullptr || *suffix == 0) return false;
  char link[64], path[4096];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(link, path, sizeof path - 1);
  if (n <= 0) return false;
  path[n] = 0;
  return ends_with(path, suffix);
}

template <class F>
F next(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

void maybe_kill(const char* when, const char* target) {
  const char* w = std::getenv("UT_KILL_RENAME");
  const char* t = std::getenv("UT_KILL_TARGET");
  if (w != nullptr && t != nullptr && std::strcmp(w, when) == 0 && ends_with(target, t)) ::kill(::getpid(), SIGKILL);
}

}  // namespace

extern "C" {

ssize_t write(int fd, const void* buf, size_t count) {
  if (fd > 2 && fd_fails(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next<ssize_t (*)(int, const void*, size_t)>("write")(fd, buf, count);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  if (fd_fails(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite")(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off64_t offset) {
  if (fd_fails(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next<ssize_t (*)(int, const void*, size_t, off64_t)>("pwrite64")(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  if (fd > 2 && fd_fails(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next<ssize_t (*)(int, const struct iovec*, int)>("writev")(fd, iov, iovcnt);
}

int renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, unsigned int flags) {
  maybe_kill("before", newpath);
  const int rc = next<int (*)(int, const char*, int, const char*, unsigned int)>("renameat2")(olddirfd, oldpath, newdirfd,
                                                                                           newpath, flags);
  maybe_kill("after", newpath);
  return rc;
}

int rename(const char* oldpath, const char* newpath) {
  maybe_kill("before", newpath);
  const int rc = next<int (*)(const char*, const char*)>("rename")(oldpath, newpath);
  maybe_kill("after", newpath);
  return rc;
}

}  // extern "C"
