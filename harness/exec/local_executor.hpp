// The local executor of a reproduction plan: every step a child process of this binary, up to
// `jobs` at once, in plan order as dependencies allow; a step whose dependency failed is blocked.
// Children die with the parent (PR_SET_PDEATHSIG), so a killed `cast reproduce` leaves nothing
// running and its restart continues where it stopped.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "exec/cost_model.hpp"
#include "exec/plan.hpp"

namespace cast::exec {

struct LocalHooks {
  const CostPrior* prior = nullptr;              // the ETA's prior for classes not yet measured here
  std::function<void(const Step&)> on_success;   // after each step that succeeded (its seconds set)
};

// Runs the steps not yet done; each logs to logs_dir/<step>.log. Returns 0 when every step
// succeeded (or was done before), 1 otherwise.
int run_local(std::vector<Step>& steps, int jobs, int threads, const std::string& logs_dir,
              const LocalHooks& hooks = {});

// The last `lines` lines of a file ("" when it does not exist).
std::string log_tail(const std::string& path, std::size_t lines);

// This executable's absolute path (/proc/self/exe).
std::string self_executable();

}  // namespace cast::exec
