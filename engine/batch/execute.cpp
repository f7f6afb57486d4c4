#include "batch/execute.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "core/staging.hpp"
#include "gis_io/load.hpp"

namespace ut::batch {

namespace fs = std::filesystem;
using core::InputError;
using core::Where;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return nlohmann::json();
  auto j = nlohmann::json::parse(in, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

}  // namespace

void prepare_study_dir(const Study& s, const fs::path& dir) {
  const Where where{dir.string(), "", "--out"};
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir)) throw InputError(where, "the study output must be a directory", "a file");
    const auto j = read_json(dir / "study.json");
    const bool ours = j.is_object() && j.value("engine", "") == "urbantwin" && j.value("kind", "") == "study";
    if (!ours && !fs::is_empty(dir, ec))
      throw InputError(where,
                       "the study folder exists and is not an earlier study of urbantwin (its study.json must say so); "
                       "choose another path",
                       dir.string());
  }
  // No input of the study inside the study folder (its runs and tables replace what is there).
  const fs::path out = fs::weakly_canonical(fs::absolute(dir));
  auto inside = [&](const fs::path& p) {
    const fs::path in = fs::weakly_canonical(fs::absolute(p));
    auto i = in.begin();
    for (auto o = out.begin(); o != out.end(); ++o, ++i)
      if (!o->empty() && (i == in.end() || *i != *o)) return false;
    return true;
  };
  std::vector<fs::path> inputs{s.file};
  for (const auto& v : s.variants) {
    inputs.push_back(v.file);
    const auto sc = scenario::load_scenario(v.file, v.overrides);
    for (const auto& p : output::scenario_inputs(sc)) inputs.push_back(p);
    // Every variant's layers and interventions are read once before any run starts: a bad layer
    // stops the study here (exit 2 with its message) instead of failing every run.
    (void)gis_io::load_city(sc);
  }
  for (const auto& p : inputs)
    if (inside(p)) throw InputError(where, "the study folder must not contain an input of the study", p.string());
  fs::create_directories(dir / "runs", ec);
  if (ec) throw core::OutputError(where, "the study folder must be writable", ec.message());
  fs::create_directories(dir / "failed", ec);
  if (ec) throw core::OutputError(where, "the study folder must be writable", ec.message());
  // Messages of runs a killed study left behind (.NAME.log.tmp-PID of a process gone).
  for (const auto& e : fs::directory_iterator(dir / "failed", ec)) {
    const std::string n = e.path().filename().string();
    const auto at = n.rfind(".log.tmp-");
    if (n.empty() || n[0] != '.' || at == std::string::npos) continue;
    const long pid = std::strtol(n.c_str() + at + 9, nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) fs::remove(e.path(), ec);
  }
}

std::vector<RunState> run_states(const Study& s, const fs::path& dir) {
  std::map<std::string, std::string> hashes;  // path -> SHA-256, each input hashed once
  const auto sha = [&](const fs::path& p) {
    const std::string key = fs::absolute(p).string();
    auto it = hashes.find(key);
    if (it == hashes.end()) it = hashes.emplace(key, core::sha256_file(p)).first;
    return it->second;
  };
  std::vector<RunState> out;
  for (const auto& r : s.runs) {
    const fs::path rd = dir / "runs" / r.name;
    const auto m = read_json(rd / "manifest.json");
    bool current = false;
    if (m.is_object() && m.value("engine", "") == "urbantwin" && m.value("kind", "") == "run" &&
        m.value("version", "") == UT_VERSION && m.value("keep", "") == output::keep_name(s.keep) && m.contains("seed") &&
        m["seed"].is_number_unsigned() && m["seed"].get<std::uint64_t>() == r.seed) {
      const auto ov = run_overrides(s, r);
      nlohmann::json want_ov = nlohmann::json::array();
      for (const auto& o : ov) want_ov.push_back({{"key", o.key}, {"value", o.value}});
      const auto& v = s.variants[r.variant];
      nlohmann::json want_years = nlohmann::json::array();
      for (int y = v.base_year; y <= v.end_year; ++y) want_years.push_back(y);
      if (m.value("overrides", nlohmann::json()) == want_ov && m.value("years", nlohmann::json()) == want_years) {
        nlohmann::json want_in = nlohmann::json::array();
        for (const auto& in : output::input_records(scenario::load_scenario(v.file, ov), sha)) {
          nlohmann::json e{{"role", in.role}, {"path", in.path}, {"sha256", in.sha256}};
          if (!in.layer.empty()) e["layer"] = in.layer;
          want_in.push_back(std::move(e));
        }
        current = m.value("inputs", nlohmann::json()) == want_in && fs::is_regular_file(rd / "indicators.csv");
      }
    }
    if (current) out.push_back(RunState::done);
    else if (fs::exists(dir / "failed" / (r.name + ".log"))) out.push_back(RunState::failed);
    else out.push_back(RunState::missing);
  }
  return out;
}

std::vector<std::size_t> runs_to_do(const Study& s, const std::vector<RunState>& states, const ExecOptions& o) {
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < s.runs.size(); ++i) {
    if (o.shard && i % o.shard->count != o.shard->index) continue;
    if (states[i] == RunState::missing || (states[i] == RunState::failed && o.retry_failed)) todo.push_back(i);
  }
  std::stable_sort(todo.begin(), todo.end(), [&](std::size_t a, std::size_t b) { return s.runs[a].cost > s.runs[b].cost; });
  return todo;
}

int run_child(const Study& s, std::size_t run, const ExecOptions& o, bool overwrite) {
  const auto& r = s.runs[run];
  const fs::path out = o.dir / "runs" / r.name;
  const fs::path failed_log = o.dir / "failed" / (r.name + ".log");
  const fs::path log = o.dir / "failed" / fmt::format(".{}.log.tmp-{}", r.name, ::getpid());
  std::error_code ec;
  fs::remove(failed_log, ec);
  const auto args = run_arguments(s, r, out, o.threads_per_job, overwrite || fs::exists(out));
  std::vector<std::string> argv_s{o.exe.string()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Everything the child needs is prepared before fork (only async-signal-safe calls after it).
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) throw core::OutputError(Where{log.string(), "", ""}, "the study's failed/ folder must be writable", std::strerror(errno));
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(log_fd, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  if (null_fd >= 0) ::close(null_fd);
  if (pid < 0) throw std::runtime_error(fmt::format("cannot start a run: fork failed ({})", std::strerror(errno)));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
  // Stopped from outside (Ctrl-C, a job's time limit, the OOM killer): not a failure of the run;
  // it stays missing and runs again when the study is resumed.
  const bool stopped = WIFSIGNALED(status) && (WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM ||
                                               WTERMSIG(status) == SIGKILL || WTERMSIG(status) == SIGHUP);
  if (rc == 0 || stopped) {
    fs::remove(log, ec);
  } else {
    std::ofstream(log, std::ios::app) << fmt::format("urbantwin batch: run {} exited with status {}\ncommand:", r.name, rc)
                                      << [&] {
                                           std::string c;
                                           for (const auto& a : argv_s) c += " " + a;
                                           return c + "\n";
                                         }();
    fs::rename(log, failed_log, ec);
  }
  return rc;
}

Progress::Progress(const Study& s, const std::vector<std::size_t>& todo, const std::vector<RunState>& states, const ExecOptions& o)
    : s_(s), quiet_(o.quiet), bar_("urbantwin batch", o.progress_bar && !o.quiet), total_(todo.size()), done_(0), failed_(0),
      remaining_(todo.size()), remaining_cost_(0), t0_(now_s()) {
  for (const auto st : states) {
    done_ += st == RunState::done;
    failed_ += st == RunState::failed && !o.retry_failed;
  }
  for (const auto i : todo) remaining_cost_ += s.runs[i].cost;
  if (!quiet_)
    fmt::print(stderr, "urbantwin batch: {} runs: {} done, {} failed earlier, {} to run\n", s.runs.size(), done_, failed_, remaining_);
  if (remaining_ > 0) bar_.update(0, fmt::format("0 of {} runs", total_));
}

void Progress::finished(std::size_t run, int status, double seconds) {
  const auto& r = s_.runs[run];
  --remaining_;
  remaining_cost_ -= r.cost;
  done_cost_ += r.cost;
  if (status == 0) ++done_;
  else ++failed_;
  if (quiet_) return;
  const double elapsed = now_s() - t0_;
  const double eta = remaining_ == 0 ? 0 : remaining_cost_ * elapsed / std::max(done_cost_, 1e-9);
  if (bar_.enabled()) {
    // The fraction is by expected cost (runs_to_do's order: longest first), like the estimate.
    if (status != 0)
      bar_.message(fmt::format("urbantwin batch: FAILED {} (status {}, see failed/{}.log)", r.name, status, r.name));
    bar_.update(done_cost_ / std::max(done_cost_ + remaining_cost_, 1e-9),
                fmt::format("{} of {} runs, {} failed", total_ - remaining_, total_, failed_), eta);
    if (remaining_ == 0) bar_.finish();
    return;
  }
  const std::string left = core::format_duration(eta);
  fmt::print(stderr, "urbantwin batch: {} {} ({:.1f} s) | {} done, {} failed, {} remaining, about {} left\n",
             status == 0 ? "done" : fmt::format("FAILED (status {}, see failed/{}.log)", status, r.name), r.name, seconds,
             done_, failed_, remaining_, left);
}

std::size_t execute_local(const Study& s, const std::vector<RunState>& states, const ExecOptions& o) {
  const auto todo = runs_to_do(s, states, o);
  Progress progress(s, todo, states, o);
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::exception_ptr error;
  std::size_t failures = 0;
  auto worker = [&] {
    for (;;) {
      const std::size_t k = next.fetch_add(1);
      if (k >= todo.size()) return;
      const double t = now_s();
      int rc = 0;
      try {
        rc = run_child(s, todo[k], o, states[todo[k]] != RunState::missing);
      } catch (...) {
        std::lock_guard lock(mu);
        if (!error) error = std::current_exception();
        next = todo.size();
        return;
      }
      std::lock_guard lock(mu);
      failures += rc != 0;
      progress.finished(todo[k], rc, now_s() - t);
    }
  };
  std::vector<std::thread> pool;
  const unsigned n = std::max(1u, std::min<unsigned>(o.jobs, static_cast<unsigned>(std::max<std::size_t>(todo.size(), 1))));
  for (unsigned i = 0; i < n; ++i) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return failures;
}

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})  // Open MPI; MPICH, Slurm's srun
    if (const char* e = std::getenv(v); e != nullptr && std::atoi(e) > 1) return true;
  return false;
}

#ifndef UT_WITH_MPI
int mpi_start() {
  throw InputError(Where{"mpirun", "", "urbantwin batch"},
                   "MPI is not built in: this urbantwin was built without Open MPI (install libopenmpi-dev and rebuild); "
                   "use --jobs N on one machine or --shard I/N for job arrays",
                   "started with more than one rank");
}
void mpi_barrier() {}
std::size_t execute_mpi(const Study&, const std::vector<RunState>&, const ExecOptions&, bool&) {
  throw InputError(Where{"mpirun", "", "urbantwin batch"},
                   "MPI is not built in: this urbantwin was built without Open MPI (install libopenmpi-dev and rebuild); "
                   "use --jobs N on one machine or --shard I/N for job arrays",
                   "started with more than one rank");
}
void finalize_mpi() {}
#endif

}  // namespace ut::batch
