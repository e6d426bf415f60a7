// A reproduction plan: the steps of `cast reproduce`, each one invocation of this binary, and
// what the executors (local child processes, Slurm jobs) need to know of them. The plan is the
// same whoever runs it; only where a step writes its results differs (the shared store locally,
// a store file of its own under Slurm, gathered by the finish job).
#pragma once
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace cast::exec {

struct Step {
  std::string name;               // unique; the local log file name, the Slurm manifest's step
  std::string kind;               // lm | pretrain | train | data | figure (Slurm: time, partition per kind)
  std::vector<std::string> args;  // cast arguments
  std::vector<std::string> deps;  // step names
  double cost = 1;                // relative, for the ETA
  std::function<bool()> done;     // already complete? (results in a store, or the marker)
  std::string marker;             // written when the step succeeds (empty: done() decides alone)
  std::string step_store;         // Slurm: the store file the step writes (merged at the end); "" if none
  // The local executor's bookkeeping.
  std::string status = "pending";  // pending | skipped | running | ok | failed | blocked
  pid_t pid = 0;
  double started = 0, seconds = 0;
};

// The kinds a step can be, and the finish job's (Slurm).
inline const std::vector<std::string>& step_kinds() {
  static const std::vector<std::string> k{"lm", "pretrain", "train", "data", "figure", "finish"};
  return k;
}

}  // namespace cast::exec
