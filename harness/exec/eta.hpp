// The ETA of a reproduction plan: the remaining steps' times estimated from the steps finished so
// far (seconds per unit of cost, per class of step: its kind and model) and, for a class that has
// not finished a step yet, from the prior (exec/cost_model.hpp: earlier runs in the store, the
// measured defaults) scaled by how this machine's finished steps compared with it; then the local
// executor's schedule simulated on them (plan order, dependencies, `jobs` at once), so a chain
// that runs one step at a time and the time a running step has already spent both count.
#pragma once
#include <string>
#include <vector>

#include "exec/cost_model.hpp"
#include "exec/plan.hpp"

namespace cast::exec {

// "train:cast", "pretrain:mnp", "lm-corpus", "lm-pretrain", "data:table2", "figure:fig3", ...:
// steps whose seconds per unit of cost are alike.
std::string eta_class(const Step& s);

// Seconds until the last unfinished step ends, from a schedule run with the given seconds per
// step (index-aligned with steps; used for pending and running steps, the running ones' already
// spent time subtracted by the caller). Steps that are finished (ok, skipped, failed, blocked)
// take no time; a step depending on a failed or blocked one never runs.
// The class without its task ("train:cast:log_kvrh" -> "train:cast"); other classes as they are.
std::string coarse_class(const std::string& cls);

double simulate_schedule(const std::vector<Step>& steps, const std::vector<double>& seconds, int jobs);

// The remaining seconds at time `now` (the clock of Step::started), or -1 while neither a finished
// step nor the prior gives a rate.
double estimate_remaining(const std::vector<Step>& steps, int jobs, double now, const CostPrior* prior = nullptr);

}  // namespace cast::exec
