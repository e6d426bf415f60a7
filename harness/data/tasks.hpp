// The prediction tasks of the paper (SPEC §0.1) and where each finds its target in a source,
// and the custom task: any numeric property of a source, named by the user (--target, --unit).
// Units: energies eV/atom, band gap eV, moduli log10(GPa); a custom task's are the user's.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "crystal/readers.hpp"

namespace cast {

enum class Task { TotalEnergy, FormationEnergy, BandGap, LogGVRH, LogKVRH, Custom };

struct TaskInfo {
  Task task;
  const char* name;         // CLI name
  const char* unit;
  const char* description;
};

// The paper's tasks and "custom", in that order.
const std::vector<TaskInfo>& all_tasks();
const TaskInfo& task_info(Task t);
// Throws InputError listing the valid names.
Task parse_task(const std::string& name);

struct Target {
  double value;
  std::string field;  // the source field it came from, e.g. "shear_modulus.vrh (log10)"
};
// The target of `t` for an entry, from whichever field the source has; nullopt when absent.
// A custom task reads exactly `field` (an id_prop.csv's value column is "target").
std::optional<Target> task_target(Task t, const Entry& e, const std::string& field = "");

// A task as the user gave it: which one, for a custom task its field and unit.
struct TaskSpec {
  Task task = Task::FormationEnergy;
  std::string field;  // custom: the source field holding the target
  std::string unit;   // custom: the user's unit ("" = none given)
  // The name runs and tables use: the paper's name, or "custom-<field>".
  std::string name() const;
  std::string unit_label() const;
};
// "--task custom" needs --target (or an id_prop.csv's "target" column); --unit only with custom.
TaskSpec make_task_spec(const std::string& task, const std::string& target, const std::string& unit);
// The spec of a task by the name runs record ("log_kvrh", "custom-<field>"), with a custom unit.
TaskSpec task_spec_from_name(const std::string& name, const std::string& unit = "");

}  // namespace cast
