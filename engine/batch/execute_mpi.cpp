// MPI execution of a study (built when CMake finds MPI; docs/cluster.md). Rank 0 hands out runs
// one at a time, longest expected first, to whichever rank asks; the other ranks run them as
// child processes (run_child). Every rank has read the same study file, so a run travels as its
// index. With one rank, rank 0 runs everything itself.
#include <mpi.h>

#include <cstdint>

#include "batch/execute.hpp"

namespace ut::batch {

namespace {
constexpr int kTagReady = 1;  // worker -> root: {finished run or -1, its status, seconds * 1000}
constexpr int kTagWork = 2;   // root -> worker: run index, or -1: stop
}  // namespace

int mpi_start() {
  int ready = 0;
  MPI_Initialized(&ready);
  if (!ready) MPI_Init(nullptr, nullptr);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

void mpi_barrier() { MPI_Barrier(MPI_COMM_WORLD); }

std::size_t execute_mpi(const Study& s, const std::vector<RunState>& states, const ExecOptions& o, bool& is_root) {
  const int rank = mpi_start();
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  is_root = rank == 0;
  std::size_t failures = 0;
  if (size == 1) {
    failures = execute_local(s, states, o);
  } else if (rank == 0) {
    const auto todo = runs_to_do(s, states, o);
    Progress progress(s, todo, states, o);
    std::size_t next = 0;
    int stopped = 0;
    while (stopped < size - 1) {
      std::int64_t msg[3];
      MPI_Status st;
      MPI_Recv(msg, 3, MPI_INT64_T, MPI_ANY_SOURCE, kTagReady, MPI_COMM_WORLD, &st);
      if (msg[0] >= 0) {
        failures += msg[1] != 0;
        progress.finished(static_cast<std::size_t>(msg[0]), static_cast<int>(msg[1]), static_cast<double>(msg[2]) / 1000);
      }
      std::int64_t work = -1;
      if (next < todo.size()) work = static_cast<std::int64_t>(todo[next++]);
      else ++stopped;
      MPI_Send(&work, 1, MPI_INT64_T, st.MPI_SOURCE, kTagWork, MPI_COMM_WORLD);
    }
  } else {
    std::int64_t msg[3] = {-1, 0, 0};
    for (;;) {
      MPI_Send(msg, 3, MPI_INT64_T, 0, kTagReady, MPI_COMM_WORLD);
      std::int64_t work = -1;
      MPI_Recv(&work, 1, MPI_INT64_T, 0, kTagWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (work < 0) break;
      const double t = MPI_Wtime();
      const auto run = static_cast<std::size_t>(work);
      msg[0] = work;
      msg[1] = run_child(s, run, o, states[run] != RunState::missing);
      msg[2] = static_cast<std::int64_t>((MPI_Wtime() - t) * 1000);
    }
  }
  // Every rank waits until the root has all results; the root then writes the tables.
  MPI_Barrier(MPI_COMM_WORLD);
  std::uint64_t f = failures;
  MPI_Bcast(&f, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  return static_cast<std::size_t>(f);
}

void finalize_mpi() {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (init && !fin) MPI_Finalize();
}

}  // namespace ut::batch
