#include "exec/eta.hpp"

#include <algorithm>
#include <limits>
#include <map>

namespace cast::exec {

std::string eta_class(const Step& s) {
  auto has = [&](const char* opt) { return std::find(s.args.begin(), s.args.end(), opt) != s.args.end(); };
  auto value = [&](const char* opt) -> std::string {
    for (std::size_t i = 0; i + 1 < s.args.size(); ++i)
      if (s.args[i] == opt) return s.args[i + 1];
    return "";
  };
  if (s.kind == "train") {
    // Per model and task: a task's structures and texts set its seconds per entry (the demo's
    // band-gap entries train at a third of the log_kvrh ones' cost per entry).
    const auto m = value("--model"), t = value("--task");
    if (!m.empty()) return "train:" + m + (t.empty() ? "" : ":" + t);
  }
  if (s.kind == "pretrain") { const auto k = value("--kind"); if (!k.empty()) return "pretrain:" + k; }
  if (!s.args.empty()) {
    if (s.args[0] == "data" && has("--corpus-out")) return "lm-corpus";
    if (s.args[0] == "data") return "data:table2";
    if (s.args[0] == "lm") return "lm-pretrain";
    if (s.args[0] == "figure-data" && s.args.size() > 1) return "figure:" + s.args[1];
  }
  return s.kind;
}

std::string coarse_class(const std::string& cls) {
  const auto a = cls.find(':');
  if (a == std::string::npos) return cls;
  const auto b = cls.find(':', a + 1);
  return b == std::string::npos ? cls : cls.substr(0, b);
}

namespace {
bool finished(const Step& s) {
  return s.status == "ok" || s.status == "skipped" || s.status == "failed" || s.status == "blocked";
}
bool never_runs(const Step& s) { return s.status == "failed" || s.status == "blocked"; }
}  // namespace

double simulate_schedule(const std::vector<Step>& steps, const std::vector<double>& seconds, int jobs) {
  jobs = std::max(1, jobs);
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < steps.size(); ++i) index[steps[i].name] = i;
  // end[i]: when step i ends in the simulation (0 for finished steps); state 0 waiting, 1 running,
  // 2 ended, 3 never runs.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> end(steps.size(), inf);
  std::vector<int> state(steps.size(), 0);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (never_runs(steps[i])) state[i] = 3;
    else if (finished(steps[i])) { state[i] = 2; end[i] = 0; }
    else if (steps[i].status == "running") { state[i] = 1; end[i] = std::max(0.0, seconds[i]); }
  }
  double t = 0, last = 0;
  for (;;) {
    // Steps whose dependency can never run never run either.
    bool changed = true;
    while (changed) {
      changed = false;
      for (std::size_t i = 0; i < steps.size(); ++i) {
        if (state[i] != 0) continue;
        for (const auto& d : steps[i].deps) {
          auto it = index.find(d);
          if (it != index.end() && state[it->second] == 3) { state[i] = 3; changed = true; break; }
        }
      }
    }
    int running = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) running += state[i] == 1;
    for (std::size_t i = 0; i < steps.size() && running < jobs; ++i) {
      if (state[i] != 0) continue;
      const bool ready = std::all_of(steps[i].deps.begin(), steps[i].deps.end(), [&](const std::string& d) {
        auto it = index.find(d);
        return it == index.end() || state[it->second] == 2;
      });
      if (!ready) continue;
      state[i] = 1;
      end[i] = t + std::max(0.0, seconds[i]);
      ++running;
    }
    if (running == 0) break;
    double next = inf;
    for (std::size_t i = 0; i < steps.size(); ++i)
      if (state[i] == 1) next = std::min(next, end[i]);
    t = next;
    for (std::size_t i = 0; i < steps.size(); ++i)
      if (state[i] == 1 && end[i] <= t) { state[i] = 2; last = std::max(last, end[i]); }
  }
  return last;
}

double estimate_remaining(const std::vector<Step>& steps, int jobs, double now, const CostPrior* prior) {
  // Seconds per unit of cost: per class, per kind, over everything finished here.
  std::map<std::string, std::pair<double, double>> by_class, by_kind;  // seconds, cost
  double all_s = 0, all_c = 0;
  for (const auto& s : steps) {
    if (s.status != "ok" || !(s.cost > 0)) continue;
    auto& c = by_class[eta_class(s)];
    c.first += s.seconds;
    c.second += s.cost;
    auto& k = by_kind[s.kind];
    k.first += s.seconds;
    k.second += s.cost;
    all_s += s.seconds;
    all_c += s.cost;
  }
  // How this machine compares with the prior: measured over predicted, on the finished steps the
  // prior knows (1 before any); bounded, so one odd step cannot make the rest absurd.
  double measured = 0, predicted = 0;
  if (prior)
    for (const auto& s : steps) {
      if (s.status != "ok" || !(s.cost > 0)) continue;
      if (auto r = prior->rate(eta_class(s))) {
        measured += s.seconds;
        predicted += s.cost * r->seconds_per_unit;
      }
    }
  const double factor = predicted > 0 ? std::clamp(measured / predicted, 0.25, 4.0) : 1.0;
  bool unknown = false;
  // The model's rate over every task finished here (train:cast from train:cast:band_gap, ...).
  std::map<std::string, std::pair<double, double>> by_coarse;
  for (const auto& [cls, sc] : by_class) {
    auto& c = by_coarse[coarse_class(cls)];
    c.first += sc.first;
    c.second += sc.second;
  }
  auto rate = [&](const Step& s) {
    const std::string cls = eta_class(s);
    auto c = by_class.find(cls);
    if (c != by_class.end()) return c->second.first / c->second.second;
    // Before the prior's coarse rate, the prior's rate of this very class (model and task).
    if (prior)
      if (auto r = prior->rate(cls, false)) return r->seconds_per_unit * factor;
    auto cc = by_coarse.find(coarse_class(cls));
    if (cc != by_coarse.end()) return cc->second.first / cc->second.second;
    if (prior)
      if (auto r = prior->rate(cls)) return r->seconds_per_unit * factor;
    auto k = by_kind.find(s.kind);
    if (k != by_kind.end()) return k->second.first / k->second.second;
    if (all_c > 0) return all_s / all_c;
    unknown = true;
    return 0.0;
  };
  std::vector<double> secs(steps.size(), 0.0);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    if (s.status == "pending") secs[i] = s.cost * rate(s);
    // A running step past its estimate: a little more (it has not ended yet).
    if (s.status == "running") {
      const double est = s.cost * rate(s), spent = now - s.started;
      secs[i] = std::max(est - spent, 0.05 * est);
    }
  }
  if (unknown) return -1;
  return simulate_schedule(steps, secs, jobs);
}

}  // namespace cast::exec
