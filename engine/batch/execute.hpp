#pragma once
// Running a study's runs (docs/batch.md, docs/cluster.md): each run is a child process
// `urbantwin run ... --out DIR/runs/NAME`, which writes its run directory atomically. A run is
// done when its directory's manifest.json matches what the study asks (inputs' SHA-256,
// overrides, seed, years, keep, engine version): a rerun skips it, so a killed study finishes
// only what is missing. A failed run leaves DIR/failed/NAME.log (its messages).
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "batch/study.hpp"
#include "core/progress.hpp"

namespace ut::batch {

enum class RunState { done, failed, missing };

struct Shard {
  unsigned index = 0, count = 1;  // runs whose study index % count == index
};

struct ExecOptions {
  std::filesystem::path dir;        // the study directory
  std::filesystem::path exe;        // the urbantwin executable
  unsigned jobs = 1;                // runs at once (local)
  unsigned threads_per_job = 1;
  bool retry_failed = false;
  std::optional<Shard> shard;
  bool quiet = false;
  // A progress bar on stderr (core::ProgressBar) in place of one line per run: the command draws
  // it on a terminal or with --progress (never with quiet).
  bool progress_bar = false;
};

// Prepares the study directory: creates it, or accepts an earlier study directory (study.json
// says so) or an empty folder; refuses anything else (core::InputError naming --out). Checks
// that no input of the study lies inside it, and reads every variant's layers once (a bad layer
// is exit 2 before any run).
void prepare_study_dir(const Study& s, const std::filesystem::path& dir);

// The state of every run of the study (in the study's order).
std::vector<RunState> run_states(const Study& s, const std::filesystem::path& dir);

// The runs this process should do: missing ones (and failed ones with retry_failed) of its
// shard, longest expected first (ties: study order).
std::vector<std::size_t> runs_to_do(const Study& s, const std::vector<RunState>& states, const ExecOptions& o);

// Runs one run as a child process and waits: the exit status (128 + signal when killed). The
// child's messages go to DIR/failed/NAME.log when it fails (not when it was stopped by SIGINT,
// SIGTERM, SIGHUP or SIGKILL: such a run stays missing and runs again on resume); the child dies with its parent
// thread (PR_SET_PDEATHSIG), so a killed study leaves no orphan runs.
int run_child(const Study& s, std::size_t run, const ExecOptions& o, bool overwrite);

// Progress on stderr: done / failed / remaining and an estimate of the time left; a bar
// (ExecOptions::progress_bar), else one line per finished run (a log, e.g. of a cluster job).
class Progress {
 public:
  // Counts the runs already done and failed (failed ones count as to do with retry_failed).
  Progress(const Study& s, const std::vector<std::size_t>& todo, const std::vector<RunState>& states, const ExecOptions& o);
  void finished(std::size_t run, int status, double seconds);
  std::size_t failed() const { return failed_; }

 private:
  const Study& s_;
  bool quiet_;
  core::ProgressBar bar_;
  std::size_t total_;
  std::size_t done_, failed_, remaining_;
  double remaining_cost_, done_cost_ = 0;
  double t0_;
};

// Local execution: `jobs` worker threads, each running one child at a time. Returns the number
// of runs that failed.
std::size_t execute_local(const Study& s, const std::vector<RunState>& states, const ExecOptions& o);

// True when this process was started by mpirun/srun with more than one rank (environment).
bool launched_by_mpi();
// MPI execution (rank 0 hands out runs dynamically, longest expected first; the other ranks run
// them): returns on every rank; `is_root` tells the caller whether to write the summary. Throws
// core::InputError when the build has no MPI.
std::size_t execute_mpi(const Study& s, const std::vector<RunState>& states, const ExecOptions& o, bool& is_root);
// Starts MPI (once) and returns this process's rank; InputError when the build has no MPI.
int mpi_start();
// Waits until every rank arrives (no-op without MPI).
void mpi_barrier();
// Ends MPI if execute_mpi started it (call once, before the process exits); no-op otherwise.
void finalize_mpi();

}  // namespace ut::batch
