// Figure 3's histograms and the reproduction's ETA (issue 16).
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <random>
#include <unistd.h>
#include <cstdio>

#include "common/file_io.hpp"
#include "exec/eta.hpp"
#include "report/similarity.hpp"

using namespace cast;

namespace {
// Attention rows over `tokens` tokens whose pairwise 1 - cos is about `spread` (rows close to a
// common direction, each tilted by a random amount up to sqrt(2 * spread)).
std::vector<std::vector<double>> rows_near(std::mt19937_64& rng, int nodes, int tokens, double spread_lo,
                                           double spread_hi) {
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> base(static_cast<std::size_t>(tokens));
  for (auto& x : base) x = 0.2 + u(rng);
  std::vector<std::vector<double>> rows;
  for (int i = 0; i < nodes; ++i) {
    // log-uniform tilt between the two spreads
    const double s = std::exp(std::log(spread_lo) + u(rng) * (std::log(spread_hi) - std::log(spread_lo)));
    std::vector<double> r = base;
    for (auto& x : r) x *= 1 + std::sqrt(2 * s) * (u(rng) - 0.5) * 2;
    rows.push_back(r);
  }
  return rows;
}
}  // namespace

TEST_CASE("1 - cos of attention rows: identical rows 0, orthogonal rows 1") {
  auto v = pairwise_one_minus_cos({{1, 0, 0}, {2, 0, 0}, {0, 1, 0}});
  REQUIRE(v.size() == 3);
  CHECK(v[0] == Approx(0).margin(1e-12));
  CHECK(v[1] == Approx(1));
  CHECK(v[2] == Approx(1));
}

TEST_CASE("Figure 3: two attention sets with different similarity near cos = 1 differ in most bins") {
  std::mt19937_64 rng(7);
  // Both sets have every pair above cos 0.97 (on the old linear [0, 1] axis of 40 bins, both put
  // everything in the last two bins); one spreads over 1e-5..3e-2, the other over 1e-3..3e-2.
  std::vector<double> a, b;
  for (int s = 0; s < 60; ++s) {
    auto va = pairwise_one_minus_cos(rows_near(rng, 8, 30, 1e-5, 3e-2));
    auto vb = pairwise_one_minus_cos(rows_near(rng, 8, 30, 1e-3, 3e-2));
    a.insert(a.end(), va.begin(), va.end());
    b.insert(b.end(), vb.begin(), vb.end());
  }
  for (double x : a) REQUIRE(x < 0.03);
  const int bins = 40;
  LogBins e = shared_log_bins({&a, &b}, bins);
  REQUIRE(e.edges.size() == bins + 1u);
  for (std::size_t k = 1; k < e.edges.size(); ++k) CHECK(e.edges[k] > e.edges[k - 1]);
  // The axis covers the data of both.
  for (const auto* s : {&a, &b})
    for (double x : *s) CHECK((x <= 0 || (x >= e.edges.front() * 0.999 && x <= e.edges.back())));
  auto ha = histogram(a, e), hb = histogram(b, e);
  double na = 0, nb = 0;
  for (double c : ha) na += c;
  for (double c : hb) nb += c;
  CHECK(na == Approx(static_cast<double>(a.size())));
  CHECK(nb == Approx(static_cast<double>(b.size())));
  // Bins whose fractions differ by more than a tenth of the larger one, among bins with data.
  int with_data = 0, differ = 0;
  for (int k = 0; k < bins; ++k) {
    const double fa = ha[k] / na, fb = hb[k] / nb;
    if (fa == 0 && fb == 0) continue;
    ++with_data;
    if (std::fabs(fa - fb) > 0.1 * std::max(fa, fb)) ++differ;
  }
  CHECK(with_data >= bins / 2);
  CHECK(differ > with_data / 2);
  // The bounded counting cast uses on a whole test set gives the same histograms (a value within
  // a fine cell's width, 0.003 decades, of an edge may land in the neighbouring bin).
  FineLogHistogram fa, fb;
  fa.add(a);
  fb.add(b);
  std::vector<double> ea = fa.extremes(), eb = fb.extremes();
  LogBins e2 = shared_log_bins({&ea, &eb}, bins);
  REQUIRE(e2.edges == e.edges);
  auto ra = fa.rebin(e2);
  double moved = 0, total = 0;
  for (int k = 0; k < bins; ++k) {
    moved += std::fabs(ra[k] - ha[k]);
    total += ha[k];
  }
  CHECK(total == Approx(fa.count()));
  CHECK(moved / total < 0.05);
}

namespace {
// An independent model of the local executor (plan order, dependencies, `jobs` at once) on the
// true step times: the statuses at time `at`, and when the last step ends.
struct Timeline {
  std::vector<double> start, end;
};
Timeline run_plan(const std::vector<exec::Step>& steps, const std::vector<double>& truth, int jobs) {
  Timeline t{std::vector<double>(steps.size(), -1), std::vector<double>(steps.size(), -1)};
  std::map<std::string, std::size_t> idx;
  for (std::size_t i = 0; i < steps.size(); ++i) idx[steps[i].name] = i;
  double now = 0;
  for (;;) {
    int running = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) running += t.start[i] >= 0 && t.end[i] > now;
    for (std::size_t i = 0; i < steps.size() && running < jobs; ++i) {
      if (t.start[i] >= 0) continue;
      bool ready = true;
      for (const auto& d : steps[i].deps) ready = ready && t.start[idx[d]] >= 0 && t.end[idx[d]] <= now;
      if (!ready) continue;
      t.start[i] = now;
      t.end[i] = now + truth[i];
      ++running;
    }
    double next = 1e300;
    for (std::size_t i = 0; i < steps.size(); ++i)
      if (t.start[i] >= 0 && t.end[i] > now) next = std::min(next, t.end[i]);
    if (next >= 1e300) break;
    now = next;
  }
  return t;
}
// A demo-shaped plan with made-up true times (and each class's true seconds per unit).
struct DemoPlan {
  std::vector<exec::Step> steps;
  std::vector<double> truth;
  std::map<std::string, double> rates;
};
DemoPlan demo_plan() {
  // The demo's shape: the LM, then MNP and contrastive pretraining, Table 2's data steps, 7 models
  // x 4 tasks x 3 seeds, the figure steps. Costs as the planner gives them; true times are cost x a
  // per-model rate the planner does not know (text models and CAST slower than their cost says),
  // with +-20% noise per step.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> noise(0.8, 1.2);
  const std::map<std::string, double> model_rate = {{"cogn", 4.0},  {"bert", 9.0},         {"crysmmnet-frozen", 6.0},
                                                    {"crysmmnet-lora", 11.0}, {"multimat", 3.5}, {"cast-scratch", 14.0},
                                                    {"cast", 14.0}};
  const std::map<std::string, double> task_size = {{"total_energy", 1.0}, {"band_gap", 1.0}, {"log_gvrh", 0.8}, {"log_kvrh", 0.8}};
  std::vector<exec::Step> steps;
  std::vector<double> truth;
  std::map<std::string, double> rates;
  auto add = [&](const std::string& name, const std::string& kind, std::vector<std::string> args,
                 std::vector<std::string> deps, double cost, double rate) {
    exec::Step s;
    s.name = name;
    s.kind = kind;
    s.args = std::move(args);
    s.deps = std::move(deps);
    s.cost = cost;
    steps.push_back(s);
    truth.push_back(cost * rate * noise(rng));
    rates[exec::eta_class(steps.back())] = rate;
  };
  add("lm", "lm", {"lm", "pretrain"}, {}, 20, 6.0);
  add("pretrain-mnp", "pretrain", {"pretrain", "--kind", "mnp"}, {"lm"}, 10, 5.0);
  add("pretrain-contrastive", "pretrain", {"pretrain", "--kind", "contrastive"}, {"lm"}, 10, 3.0);
  for (const auto& [task, size] : task_size) add("table2-" + task, "data", {"data", "prepare"}, {"lm"}, 1, 8.0);
  for (const auto& [task, size] : task_size)
    for (int seed = 0; seed < 3; ++seed)
      for (const auto& [model, rate] : model_rate) {
        const bool text = model != "cogn" && model != "multimat";
        std::vector<std::string> deps = {"lm"};
        if (model == "cast") deps.push_back("pretrain-mnp");
        if (model == "multimat") deps.push_back("pretrain-contrastive");
        add("train-" + model + "-" + task + "-s" + std::to_string(seed), "train", {"train", "--model", model},
            deps, (text ? 2.2 : 1.0) * size, rate);
      }
  std::vector<std::string> all_train;
  for (const auto& s : steps)
    if (s.kind == "train") all_train.push_back(s.name);
  add("figure-data-fig2", "figure", {"figure-data"}, all_train, 2, 10.0);
  add("figure-data-fig3", "figure", {"figure-data"}, all_train, 2, 10.0);
  return {steps, truth, rates};
}

// The plan's statuses at time `at` of its true timeline.
std::vector<exec::Step> at_time(const std::vector<exec::Step>& steps, const std::vector<double>& truth,
                                const Timeline& tl, double at) {
  std::vector<exec::Step> now = steps;
  for (std::size_t i = 0; i < now.size(); ++i) {
    if (tl.end[i] <= at) {
      now[i].status = "ok";
      now[i].seconds = truth[i];
    } else if (tl.start[i] <= at) {
      now[i].status = "running";
      now[i].started = tl.start[i];
    }
  }
  return now;
}
}  // namespace

TEST_CASE("the ETA of a demo-shaped plan with made-up step times holds within 35% from a quarter of the way") {
  auto [steps, truth, rates] = demo_plan();
  for (int jobs : {1, 2}) {
    const Timeline tl = run_plan(steps, truth, jobs);
    double total = 0;
    for (double e : tl.end) total = std::max(total, e);
    for (double frac : {0.25, 0.5, 0.75}) {
      const double at = frac * total;
      const auto now = at_time(steps, truth, tl, at);
      const double eta = exec::estimate_remaining(now, jobs, at), left = total - at;
      INFO("jobs " << jobs << ", at " << frac << " of " << total << " s: ETA " << eta << " s, truly " << left << " s");
      CHECK(eta == Approx(left).epsilon(0.35));
    }
  }
}

TEST_CASE("the ETA with a prior from another machine's store holds from the start; a measured class overrides it") {
  // The store's step times were measured on a machine 1.7x faster than this one, the defaults on
  // one 3x slower; the prior takes the store's (same profile), and the finished steps' speed
  // corrects it, so classes not yet run here are estimated at this machine's speed.
  auto [steps, truth, rates] = demo_plan();
  std::vector<exec::StepTime> history, defaults;
  for (const auto& [cls, rate] : rates) {
    history.push_back({cls, "cpu", "demo", 100, 100 * rate / 1.7});
    defaults.push_back({cls, "cpu", "demo", 100, 100 * rate * 3});
  }
  const exec::CostPrior prior(history, defaults, "cpu", "demo");
  REQUIRE(prior.rate("train:cast"));
  CHECK(prior.rate("train:cast")->seconds_per_unit == Approx(rates["train:cast"] / 1.7));
  CHECK(prior.rate("train:cast")->source.find("store") == 0);
  for (int jobs : {1, 2}) {
    const Timeline tl = run_plan(steps, truth, jobs);
    double total = 0;
    for (double e : tl.end) total = std::max(total, e);
    CHECK(exec::estimate_remaining(steps, jobs, 0) == -1);  // no prior, nothing finished: no ETA
    const double first = exec::estimate_remaining(steps, jobs, 0, &prior);
    CHECK(first == Approx(total / 1.7).epsilon(0.25));      // before anything ran: the store's machine
    for (double frac : {0.25, 0.5, 0.75}) {
      const double at = frac * total;
      const auto now = at_time(steps, truth, tl, at);
      const double eta = exec::estimate_remaining(now, jobs, at, &prior), left = total - at;
      INFO("jobs " << jobs << ", at " << frac << " of " << total << " s: ETA " << eta << " s, truly " << left << " s");
      CHECK(eta == Approx(left).epsilon(0.35));
    }
  }
}

TEST_CASE("the cost prior: the store's same profile, then the defaults, then the store's other profile") {
  const std::vector<exec::StepTime> history = {{"train:cogn", "cpu", "small", 10, 50},
                                               {"train:bert", "cpu", "demo", 10, 30},
                                               {"train:bert", "cuda", "demo", 10, 1}};
  const std::vector<exec::StepTime> defaults = {{"train:cogn", "cpu", "demo", 10, 20},
                                                {"lm-corpus", "cpu", "demo", 100, 10}};
  const exec::CostPrior prior(history, defaults, "cpu", "demo");
  CHECK(prior.rate("train:bert")->seconds_per_unit == Approx(3));   // store, same profile and device
  CHECK(prior.rate("train:cogn")->seconds_per_unit == Approx(2));   // defaults of this profile first
  CHECK(prior.rate("train:cogn")->source.find("costs.json") == 0);
  CHECK(!prior.rate("train:cast"));
  const exec::CostPrior gpu(history, defaults, "cuda", "paper");
  CHECK(gpu.rate("train:bert")->seconds_per_unit == Approx(0.1));    // another profile, this device
  CHECK(!gpu.rate("train:cogn"));                                    // only measured on the CPU
  CHECK(gpu.rate("lm-corpus")->seconds_per_unit == Approx(0.1));     // data steps run on the CPU anyway
  // Per model and task, falling back to the model over the tasks measured.
  const exec::CostPrior fine({{"train:cast:log_kvrh", "cpu", "demo", 10, 40}, {"train:cast:band_gap", "cpu", "demo", 10, 10}},
                             {}, "cpu", "demo");
  CHECK(fine.rate("train:cast:log_kvrh")->seconds_per_unit == Approx(4));
  CHECK(fine.rate("train:cast:total_energy")->seconds_per_unit == Approx(2.5));
  CHECK(!fine.rate("train:cast:total_energy", false));
  CHECK(!fine.rate("train:cogn:log_kvrh"));
  CHECK(exec::coarse_class("train:cast:log_kvrh") == "train:cast");
  CHECK(exec::coarse_class("pretrain:mnp") == "pretrain:mnp");
  // A malformed cost table is named.
  const std::string bad = "/tmp/cast-test-" + std::to_string(::getpid()) + "-costs.json";
  cast::write_file_atomic(bad, R"({"rates": [{"class": "train:cogn"}]})");
  CHECK_THROWS_WITH(exec::load_cost_defaults(bad), Catch::Matchers::Contains("costs.json") &&
                                                   Catch::Matchers::Contains("needs class, device, profile"));
  std::remove(bad.c_str());
  CHECK(exec::load_cost_defaults(bad).empty());  // no table: no defaults
}

TEST_CASE("the schedule's simulation: a chain runs one at a time, independent steps share the slots") {
  std::vector<exec::Step> steps(4);
  for (int i = 0; i < 4; ++i) steps[static_cast<std::size_t>(i)].name = "s" + std::to_string(i);
  steps[1].deps = {"s0"};
  CHECK(exec::simulate_schedule(steps, {10, 10, 10, 10}, 2) == Approx(20));  // s0+s1 chain beside s2, s3
  CHECK(exec::simulate_schedule(steps, {10, 10, 10, 10}, 1) == Approx(40));
  steps[0].status = "failed";  // s1 never runs
  CHECK(exec::simulate_schedule(steps, {10, 10, 10, 10}, 1) == Approx(20));
  CHECK(exec::estimate_remaining(steps, 1, 0) == -1);  // nothing finished with a cost: no ETA
}
