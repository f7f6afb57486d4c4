#include "app/batch_cmd.hpp"

#include <fmt/format.h>

#include <thread>

#include "batch/execute.hpp"
#include "batch/study.hpp"
#include "batch/tables.hpp"
#include "core/error.hpp"
#include "output/run_dir.hpp"

namespace ut::app {

namespace fs = std::filesystem;

int cmd_batch(const BatchArgs& a) {
  batch::StudyOptions so;
  so.seeds = a.seeds;
  so.until = a.until;
  const auto study = batch::load_study(a.study, so);
  batch::ExecOptions o;
  o.dir = a.out.empty() ? fs::path("runs") / study.name : a.out;
  o.exe = fs::read_symlink("/proc/self/exe");
  o.threads_per_job = std::max(1u, a.threads_per_job);
  o.jobs = a.jobs > 0 ? a.jobs : std::max(1u, std::thread::hardware_concurrency() / o.threads_per_job);
  o.retry_failed = a.retry_failed;
  // --json: stderr holds only warnings and errors (a failed run's message), as with --quiet.
  o.quiet = !a.common.text();
  o.progress_bar = a.common.show_progress();
  if (!a.shard.empty()) {
    unsigned i = 0, n = 0;
    char slash = 0, extra = 0;
    if (std::sscanf(a.shard.c_str(), "%u%c%u%c", &i, &slash, &n, &extra) != 3 || slash != '/' || n == 0 || i >= n || n > 100000)
      throw core::InputError(core::Where{a.study.string(), "", "option --shard"}, "must be I/N with 0 <= I < N (e.g. 0/3; Slurm: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)",
                             a.shard);
    o.shard = batch::Shard{i, n};
  }
  const bool mpi = batch::launched_by_mpi();
  // Under MPI only rank 0 touches the study folder before the runs; the others wait for it.
  const int rank = mpi ? batch::mpi_start() : 0;
  if (rank == 0) {
    batch::prepare_study_dir(study, o.dir);
    // study.json marks the folder as a study at once (a killed study is resumed), with the
    // state of every run as found; it is written again at the end.
    batch::write_study_json(study, batch::run_states(study, o.dir), o.dir);
  }
  if (mpi) batch::mpi_barrier();
  auto states = batch::run_states(study, o.dir);
  std::size_t skipped = 0;  // done before this command: not run again
  for (const auto st : states) skipped += st == batch::RunState::done;
  std::size_t failures = 0;
  bool root = true;
  if (!a.summarize) {
    if (mpi) failures = batch::execute_mpi(study, states, o, root);
    else failures = batch::execute_local(study, states, o);
    states = batch::run_states(study, o.dir);
  }
  int rc = 0;
  if (root) {
    std::size_t missing = 0, failed = 0;
    for (const auto st : states) {
      missing += st == batch::RunState::missing;
      failed += st == batch::RunState::failed;
    }
    batch::write_study_json(study, states, o.dir);
    const auto index = batch::read_study_index(o.dir);
    const core::Credit credit = batch::study_credit(index);  // its done runs' (docs/conventions.md, "Credits")
    std::vector<std::string> tables{"study.json"};
    if (missing > 0 && !a.summarize) {
      // Other shards (or a killed study) still owe runs: the tables wait for them.
      if (a.common.text())
        fmt::print("{}: {} of {} runs done, {} failed, {} not yet run (other shards, or rerun the study); the tables are "
                   "written when none is missing (or with --summarize)\n",
                   o.dir.string(), study.runs.size() - missing - failed, study.runs.size(), failed, missing);
    } else {
      batch::write_study_tables(index);
      tables.insert(tables.end(), {"indicators_long.csv", "summary.csv"});
      if (!study.reference.empty()) tables.push_back("differences.csv");
      if (study.keep != output::Keep::indicators) tables.push_back("parcels_summary.gpkg");
      if (a.common.text())
        fmt::print("{}: {} runs, {} done, {} failed, {} missing; wrote study.json, indicators_long.csv, summary.csv{}{}\n{}\n",
                   o.dir.string(), study.runs.size(), study.runs.size() - missing - failed, failed, missing,
                   study.reference.empty() ? "" : ", differences.csv",
                   study.keep == output::Keep::indicators ? "" : ", parcels_summary.gpkg", credit.text);
    }
    if (failed > 0) {
      fmt::print(stderr, "urbantwin batch: {} runs failed (their messages: {}/failed/NAME.log; rerun with --retry-failed)\n", failed,
                 o.dir.string());
      rc = 1;
    }
    if (a.common.json) {
      nlohmann::ordered_json j;
      j["study"] = study.name;
      j["out"] = o.dir.string();
      j["runs"] = study.runs.size();
      j["done"] = study.runs.size() - missing - failed;
      j["failed"] = failed;
      j["missing"] = missing;
      j["skipped"] = skipped;
      j["tables"] = tables;
      j["tables_complete"] = !(missing > 0 && !a.summarize);
      j["attribution"] = credit.text;
      print_json(j);
    }
  }
  (void)failures;
  batch::finalize_mpi();
  return rc;
}

}  // namespace ut::app
