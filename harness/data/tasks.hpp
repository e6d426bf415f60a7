// The prediction tasks of the paper (SPEC §0.1) and where each finds its target in a source.
// Units: energies eV/atom, band gap eV, moduli log10(GPa).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "crystal/readers.hpp"

namespace cast {

enum class Task { TotalEnergy, FormationEnergy, BandGap, LogGVRH, LogKVRH };

struct TaskInfo {
  Task task;
  const char* name;         // CLI name
  const char* unit;
  const char* description;
};

const std::vector<TaskInfo>& all_tasks();
const TaskInfo& task_info(Task t);
// Throws InputError listing the valid names.
Task parse_task(const std::string& name);

struct Target {
  double value;
  std::string field;  // the source field it came from, e.g. "shear_modulus.vrh (log10)"
};
// The target of `t` for an entry, from whichever field the source has; nullopt when absent.
std::optional<Target> task_target(Task t, const Entry& e);

}  // namespace cast
