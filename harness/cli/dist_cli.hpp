// The data-parallel options of the training commands (cast train, cast pretrain, cast lm pretrain):
// --nproc N (this cast starts N ranks on this host) and --dist-timeout; torchrun variables and srun
// steps are found in the environment (dist/rank_env.hpp).
#pragma once
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "dist/comm.hpp"

namespace cast::cli {

struct DistArgs {
  int nproc = 0;
  double timeout_s = 30;
};

void add_dist_options(CLI::App* cmd, DistArgs& a);

struct DistRun {
  dist::RankEnv env;
  std::shared_ptr<dist::Comm> comm;  // null: one process
  bool lead = true;                  // rank 0 (or the only one): writes, prints, records
  std::optional<int> parent_status;  // set: this was the --nproc parent; its children ran; exit with it
  // Rank 0 first, then the others (e.g. featurising into the shared cache once).
  template <class F>
  void lead_first(F&& f) {
    if (!comm) { f(); return; }
    if (lead) f();
    comm->barrier(std::chrono::hours(24));
    if (!lead) f();
  }
};

// Starts the ranks (--nproc) or joins the process group of the environment. A rank other than
// 0 becomes quiet (its standard output goes to /dev/null; errors still reach standard error,
// prefixed with the rank by main). `device` becomes cuda:<local rank> for CUDA ranks.
DistRun start_dist(const DistArgs& a, std::string& device, bool& quiet);

}  // namespace cast::cli
