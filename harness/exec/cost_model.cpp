#include "exec/cost_model.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_io.hpp"

namespace cast::exec {

CostPrior::CostPrior(std::vector<StepTime> history, std::vector<StepTime> defaults, std::string device,
                     std::string profile)
    : history_(std::move(history)), defaults_(std::move(defaults)), device_(std::move(device)),
      profile_(std::move(profile)) {}

std::optional<Rate> CostPrior::from(const std::vector<StepTime>& rows, const std::string& cls, bool same_profile,
                                    const std::string& what) const {
  const std::string dev = cost_device(cls, device_);
  // The newest steps of the class (at most 8): a machine, a build or a load that changed shows
  // in them first.
  double secs = 0, units = 0;
  int n = 0;
  std::string profile;
  const bool any_task = cls.find(':') != cls.rfind(':') ? false : cls.rfind("train:", 0) == 0;
  for (auto it = rows.rbegin(); it != rows.rend() && n < (any_task ? 32 : 8); ++it) {
    // "train:cast" also takes the rows of "train:cast:<task>" (the model over every task).
    const bool match = it->cls == cls || (any_task && it->cls.rfind(cls + ":", 0) == 0);
    if (!match || it->device != dev || !(it->units > 0) || !(it->seconds >= 0)) continue;
    if (same_profile != (it->profile == profile_)) continue;
    if (!profile.empty() && it->profile != profile) continue;  // one other profile, not a mix
    profile = it->profile;
    secs += it->seconds;
    units += it->units;
    ++n;
  }
  if (n == 0) return std::nullopt;
  return Rate{secs / units, what + " (" + profile + ", " + dev + ", " + std::to_string(n) + (n == 1 ? " step)" : " steps)")};
}

std::optional<Rate> CostPrior::rate(const std::string& cls, bool coarse) const {
  if (auto r = from(history_, cls, true, "store")) return r;
  if (auto r = from(defaults_, cls, true, "costs.json")) return r;
  if (auto r = from(history_, cls, false, "store")) return r;
  if (auto r = from(defaults_, cls, false, "costs.json")) return r;
  // A model on a task not measured: the model over the tasks that were.
  const auto a = cls.find(':'), b = cls.find(':', a == std::string::npos ? a : a + 1);
  if (coarse && a != std::string::npos && b != std::string::npos) return rate(cls.substr(0, b), false);
  return std::nullopt;
}

std::vector<StepTime> load_cost_defaults(const std::string& path) {
  std::vector<StepTime> out;
  if (path.empty() || !file_exists(path)) return out;
  auto j = nlohmann::json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("rates") || !j["rates"].is_array())
    fail(path, ": not a cost table ({\"rates\": [{\"class\", \"device\", \"profile\", \"units\", \"seconds\"}, ...]})");
  for (const auto& r : j["rates"]) {
    StepTime t;
    try {
      t.cls = r.at("class").get<std::string>();
      t.device = r.at("device").get<std::string>();
      t.profile = r.at("profile").get<std::string>();
      t.units = r.at("units").get<double>();
      t.seconds = r.at("seconds").get<double>();
    } catch (const std::exception& e) {
      fail(path, ": a rate needs class, device, profile, units and seconds (", e.what(), ")");
    }
    out.push_back(t);
  }
  return out;
}

std::string cost_device(const std::string& cls, const std::string& device) {
  return cls == "lm-corpus" || cls == "data:table2" ? "cpu" : device;
}

}  // namespace cast::exec
