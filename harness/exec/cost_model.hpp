// What a step of a plan costs before it has run: seconds per unit of work for each class of step
// (exec/eta.hpp's eta_class: "train:cast", "pretrain:mnp", "lm-pretrain", ...) on a device, from
//   1. earlier steps in the results store (the local executor records every finished step), the
//      same device and profile first, then the same device with another profile;
//   2. the measured defaults shipped in experiments/costs.json (a reference machine's demo run,
//      the one H200 figure), again the same profile first.
// A step's units are its size times its passes (entries x epochs for training and pretraining,
// texts x epochs for the LM, entries for data preparation, 1 for a figure), so a rate measured on
// one size carries over to another. The ETA (eta.hpp) prefers what this run has measured and
// scales the prior by how fast this machine turned out to be; --dry-run prints the prior's
// estimate of each step and the plan's total.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace cast::exec {

struct StepTime {
  std::string cls, device, profile;
  double units = 0, seconds = 0;
};

struct Rate {
  double seconds_per_unit = 0;
  std::string source;  // "store (demo, cpu, 3 steps)", "experiments/costs.json (demo, cpu)", ...
};

class CostPrior {
 public:
  CostPrior() = default;
  // history: from the store (newest last); defaults: experiments/costs.json's rows.
  CostPrior(std::vector<StepTime> history, std::vector<StepTime> defaults, std::string device, std::string profile);
  // Seconds per unit of cls on this device, or nothing when neither source knows the class.
  // A class with a task ("train:cast:log_kvrh") falls back to its model's rate over every task
  // ("train:cast") unless coarse is false.
  std::optional<Rate> rate(const std::string& cls, bool coarse = true) const;
  bool empty() const { return history_.empty() && defaults_.empty(); }

 private:
  std::optional<Rate> from(const std::vector<StepTime>& rows, const std::string& cls, bool same_profile,
                           const std::string& what) const;
  std::vector<StepTime> history_, defaults_;
  std::string device_, profile_;
};

// experiments/costs.json: {"rates": [{"class", "device", "profile", "units", "seconds"}...]}.
// A missing file gives no rows; a malformed one fails naming it.
std::vector<StepTime> load_cost_defaults(const std::string& path);

// The device a class of step runs on: data preparation is always the CPU's.
std::string cost_device(const std::string& cls, const std::string& device);

}  // namespace cast::exec
