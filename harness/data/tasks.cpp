#include "data/tasks.hpp"

#include <cctype>
#include <cmath>

#include "common/error.hpp"

namespace cast {

const std::vector<TaskInfo>& all_tasks() {
  static const std::vector<TaskInfo> tasks = {
      {Task::TotalEnergy, "total_energy", "eV/atom", "total energy per atom (MP energy_per_atom)"},
      {Task::FormationEnergy, "formation_energy", "eV/atom", "formation energy per atom"},
      {Task::BandGap, "band_gap", "eV", "PBE band gap, non-metals only (gap > 0)"},
      {Task::LogGVRH, "log_gvrh", "log10(GPa)", "log10 of the VRH shear modulus"},
      {Task::LogKVRH, "log_kvrh", "log10(GPa)", "log10 of the VRH bulk modulus"},
      {Task::Custom, "custom", "", "any numeric field of the source (--target NAME --unit U); no filters unless --filters paper"},
  };
  return tasks;
}

const TaskInfo& task_info(Task t) {
  for (const auto& i : all_tasks())
    if (i.task == t) return i;
  throw std::logic_error("unknown task enum");
}

Task parse_task(const std::string& name) {
  std::string valid;
  for (const auto& i : all_tasks()) {
    if (name == i.name) return i.task;
    valid += std::string(valid.empty() ? "" : ", ") + i.name;
  }
  fail("unknown task '", name, "'; valid tasks: ", valid);
}

namespace {
std::optional<Target> first_of(const Entry& e, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    auto it = e.values.find(k);
    if (it != e.values.end()) return Target{it->second, k};
  }
  return std::nullopt;
}
std::optional<Target> log_of(const Entry& e, std::initializer_list<const char*> logged,
                             std::initializer_list<const char*> raw) {
  if (auto t = first_of(e, logged)) return t;
  if (auto t = first_of(e, raw)) {
    // log10 of a non-positive modulus is not a number; the filters remove such entries.
    return Target{t->value > 0 ? std::log10(t->value) : std::nan(""), t->field + " (log10)"};
  }
  return std::nullopt;
}
}  // namespace

std::optional<Target> task_target(Task t, const Entry& e, const std::string& field) {
  std::optional<Target> r;
  switch (t) {
    case Task::Custom: {
      auto it = e.values.find(field.empty() ? "target" : field);
      if (it == e.values.end()) return std::nullopt;
      return Target{it->second, it->first};
    }
    case Task::TotalEnergy: r = first_of(e, {"energy_per_atom", "total_energy"}); break;
    case Task::FormationEnergy:
      r = first_of(e, {"formation_energy_per_atom", "e_form", "formation_energy"});
      break;
    case Task::BandGap: r = first_of(e, {"band_gap", "gap pbe", "gap"}); break;
    case Task::LogGVRH:
      r = log_of(e, {"log10(G_VRH)", "log_gvrh"}, {"shear_modulus.vrh", "G_VRH", "elasticity.g_vrh"});
      break;
    case Task::LogKVRH:
      r = log_of(e, {"log10(K_VRH)", "log_kvrh"}, {"bulk_modulus.vrh", "K_VRH", "elasticity.k_vrh"});
      break;
  }
  if (!r) r = first_of(e, {"target"});  // id_prop.csv folders
  return r;
}

std::string TaskSpec::name() const {
  if (task != Task::Custom) return task_info(task).name;
  return "custom-" + (field.empty() ? std::string("target") : field);
}

std::string TaskSpec::unit_label() const {
  if (task != Task::Custom) return task_info(task).unit;
  return unit;
}

TaskSpec task_spec_from_name(const std::string& name, const std::string& unit) {
  if (name.rfind("custom-", 0) == 0) return {Task::Custom, name.substr(7), unit};
  return {parse_task(name), "", ""};
}

TaskSpec make_task_spec(const std::string& task, const std::string& target, const std::string& unit) {
  TaskSpec s;
  s.task = parse_task(task);
  if (s.task == Task::Custom) {
    s.field = target.empty() ? "target" : target;
    s.unit = unit;
    for (char c : s.field)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
        fail("--target '", target, "': use the field's name as the source spells it (letters, digits, '_', '.', '-')");
  } else {
    if (!target.empty())
      fail("--target is for '--task custom'; task '", task, "' reads its own fields (",
           task_info(s.task).description, ")");
    if (!unit.empty() && unit != task_info(s.task).unit)
      fail("--unit '", unit, "': task '", task, "' is in ", task_info(s.task).unit, "; --unit is for '--task custom'");
  }
  return s;
}

}  // namespace cast
