// cast reproduce table1|table2|fig2|fig3|all: the paper's experiments from the recipes in
// experiments/, as a plan of steps (corpus, domain LM, pretraining, one `cast train` per model,
// task and seed, dataset statistics, figure data), run by an executor (exec/):
//   --executor local (default): each step a child process of this binary; a step is skipped when
//     its result exists (a finished run in the store, a completed marker), so a restart after a
//     kill -9 continues where it stopped: interrupted training resumes from its last checkpoint,
//     nothing finished runs twice. Children die with the parent.
//   --executor slurm: the steps as Slurm jobs (afterok chains, arrays), each writing a store of
//     its own; a finish job merges them and runs `cast reproduce ... --finish` (the local executor
//     for the figure data, then the tables and figures). Submitting again is idempotent;
//     --status shows every step.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "baselines/regressors.hpp"
#include "cli/commands.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/system.hpp"
#include "common/log.hpp"
#include "exec/eta.hpp"
#include "exec/local_executor.hpp"
#include "exec/slurm_executor.hpp"
#include "report/table1.hpp"
#include "report/table2.hpp"
#include "store/results_store.hpp"

namespace cast::cli {

std::vector<std::string> plot_figure(const std::string& figure, const std::string& db, const std::string& profile,
                                     const std::string& experiment, std::uint64_t seed, const std::string& prefix,
                                     const std::string& template_file);

namespace {

using nlohmann::json;

struct ReproduceArgs {
  std::string what, profile = "demo", db = "results/cast.db", text_encoder, recipes, device = "cpu", costs;
  std::vector<std::string> tasks, models;
  std::vector<std::uint64_t> seeds;
  int jobs = 0;
  bool dry_run = false, status = false, finish = false;
  std::string executor = "local";
  std::string store_journal;  // passed to the steps that write the store ("" = theirs, wal)
  exec::SlurmOptions slurm;
  std::vector<std::string> partition, account, qos, time;  // VALUE or KIND=VALUE

  bool on_slurm() const { return executor == "slurm" && !finish; }
  // The journal of the results database: under Slurm it lives on a shared filesystem.
  Journal journal() const {
    if (!store_journal.empty()) return parse_journal(store_journal);
    return executor == "slurm" ? Journal::Delete : Journal::Wal;
  }
};

json read_recipe(const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name + ".json";
  if (!file_exists(path)) fail(path, ": recipe not found (pass --recipes DIR, the project's experiments/ folder)");
  auto j = json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail(path, ": not a JSON object");
  return j;
}

json profile_of(const json& recipe, const std::string& profile, const std::string& where) {
  if (!recipe.contains("profiles") || !recipe["profiles"].contains(profile)) {
    std::string valid;
    for (auto& [k, v] : recipe.value("profiles", json::object()).items()) valid += (valid.empty() ? "" : ", ") + k;
    fail(where, ": no profile '", profile, "'; valid profiles: ", valid);
  }
  return recipe["profiles"][profile];
}

using exec::Step;

class Planner {
 public:
  Planner(const ReproduceArgs& a) : a_(a) {
    recipes_ = a.recipes.empty() ? repo_path("experiments") : a.recipes;
    runs_dir_ = "runs/" + a.profile;
    logs_dir_ = runs_dir_ + "/logs";
    out_dir_ = "results/" + a.profile;
  }

  std::vector<Step> plan() {
    const bool t1 = a_.what == "table1" || a_.what == "all", t2 = a_.what == "table2" || a_.what == "all";
    const bool f2 = a_.what == "fig2" || a_.what == "all", f3 = a_.what == "fig3" || a_.what == "all";
    table1_ = read_recipe(recipes_, "table1");
    p1_ = profile_of(table1_, a_.profile, recipes_ + "/table1.json");
    models_ = a_.models.empty() ? table1_["models"].get<std::vector<std::string>>() : a_.models;
    for (const auto& m : models_) {
      try {
        require_model_kind(m);
      } catch (const std::invalid_argument& e) {
        throw InputError(e.what());
      }
    }
    if (f2 || f3) {  // the figures need both CAST models
      for (const char* m : {"cast-scratch", "cast"})
        if (std::find(models_.begin(), models_.end(), m) == models_.end()) models_.push_back(m);
    }
    if (a_.seeds.empty()) seeds_ = table1_["seeds"].get<std::vector<std::uint64_t>>();
    else seeds_ = a_.seeds;
    for (auto& [task, spec] : p1_["tasks"].items()) {
      if (!a_.tasks.empty() && std::find(a_.tasks.begin(), a_.tasks.end(), task) == a_.tasks.end()) continue;
      parse_task(task);
      const std::string src = default_data_source(parse_task(task));
      if (src.empty() || !file_exists(src)) {
        spdlog::warn("skipping task {}: its data file is not here ({})", task, src.empty() ? "no data folder" : src);
        continue;
      }
      tasks_.push_back({task, spec.value("limit", std::size_t{0})});
      entries_[task] = entries_of(spec);
    }
    for (const auto& t : a_.tasks) {
      bool known = false;
      for (auto& [k, v] : p1_["tasks"].items()) known = known || k == t;
      if (!known) parse_task(t);  // unknown names fail with the valid list
    }
    if (tasks_.empty()) fail("no task of the recipe has data here; set CAST_DATA_DIR or fetch one with 'cast data fetch'");

    bool needs_text = t2 || f2 || f3;
    for (const auto& m : models_) needs_text = needs_text || model_uses_text(m) || m == "multimat";
    encoder_ = a_.text_encoder;
    if (encoder_.empty()) if (const char* env = std::getenv("CAST_TEXT_ENCODER")) encoder_ = env;
    if (needs_text && encoder_.empty()) add_lm_steps();

    const json pre = p1_.value("pretrain", json::object());
    bool want_mnp = false, want_con = false;
    for (const auto& m : models_) { want_mnp = want_mnp || m == "cast"; want_con = want_con || m == "multimat"; }
    if ((t1 || f2 || f3) && want_mnp) add_pretrain_step("mnp", pre.value("mnp", json::object()));
    if ((t1 || f2 || f3) && want_con) add_pretrain_step("contrastive", pre.value("contrastive", json::object()));
    if (t1 || f2 || f3) add_train_steps(t1 ? models_ : std::vector<std::string>{"cast-scratch", "cast"}, t1 ? seeds_ : std::vector<std::uint64_t>{0});
    if (t2) add_table2_steps();
    if (f2) add_figure_step("fig2");
    if (f3) add_figure_step("fig3");
    return steps_;
  }

  const std::string& logs_dir() const { return logs_dir_; }
  const std::string& out_dir() const { return out_dir_; }
  const std::string& recipes() const { return recipes_; }
  const std::string& runs_dir() const { return runs_dir_; }

 private:
  std::string marker_path(const std::string& name) const { return runs_dir_ + "/.done-" + name; }

  // The entries a step reads: its limit, else the recipe's "entries" (the full data's count, for
  // the ETA and the dry run's cost); 0 when neither is known (the step's cost is then unknown).
  static double entries_of(const json& spec) {
    const double limit = spec.value("limit", 0.0);
    return limit > 0 ? limit : spec.value("entries", 0.0);
  }

  // A step writing a store takes the store's journal mode: given (--store-journal), or delete for
  // a step's own store under Slurm. Nothing is passed otherwise (the command's default, wal).
  // (Only `cast train` takes --store-journal so far; `data prepare` and `figure-data` write with
  // their default until they do.)
  void add_journal(Step& s) const {
    // Every step that opens the store: training, data preparation (Table 2) and figure data.
    if (s.args.empty() || (s.args[0] != "train" && s.args[0] != "data" && s.args[0] != "figure-data")) return;
    std::string j = a_.store_journal;
    if (a_.on_slurm() && !s.step_store.empty()) j = "delete";
    if (j.empty()) return;
    s.args.push_back("--store-journal");
    s.args.push_back(j);
  }

  Step& add(Step s) {
    if (s.marker.empty() && !s.done) s.marker = marker_path(s.name);
    if (!s.marker.empty() && !s.done) {
      const std::string m = s.marker;
      s.done = [m] { return file_exists(m); };
    }
    steps_.push_back(std::move(s));
    return steps_.back();
  }

  void add_lm_steps() {
    json lm = profile_of(read_recipe(recipes_, "lm-pretrain"), a_.profile, recipes_ + "/lm-pretrain.json");
    const std::string corpus = runs_dir_ + "/lm-corpus.jsonl";
    encoder_ = "results/lm/" + a_.profile;
    Step c;
    c.name = "lm-corpus";
    c.kind = "lm";
    c.args = {"data", "prepare", "--task", lm.value("corpus_task", "formation_energy"), "--corpus-out", corpus, "-q"};
    if (lm.value("limit", 0) > 0) { c.args.push_back("--limit"); c.args.push_back(std::to_string(lm.value("limit", 0))); }
    c.cost = entries_of(lm);  // units (exec/cost_model.hpp): entries read and described
    add(c);
    Step s;
    s.name = "lm-pretrain";
    s.kind = "lm";
    s.args = {"lm", "pretrain", "--profile", a_.profile, "--out", encoder_, "--epochs", std::to_string(lm.value("epochs", 2)),
              "-q", "--corpus", corpus, "--device", a_.device};
    s.deps = {"lm-corpus"};
    s.cost = entries_of(lm) * lm.value("epochs", 2);  // texts x epochs
    lm_step_ = s.name;
    add(s);
  }

  void add_pretrain_step(const std::string& kind, const json& spec) {
    Step s;
    s.name = "pretrain-" + kind;
    s.kind = "pretrain";
    weights_[kind] = runs_dir_ + "/pretrain-" + kind;
    s.args = {"pretrain", "--kind", kind, "--profile", a_.profile, "--task", spec.value("task", "formation_energy"),
              "--out", weights_[kind], "--epochs", std::to_string(spec.value("epochs", 2)), "--text-encoder", encoder_, "-q",
              "--device", a_.device};
    if (spec.value("limit", 0) > 0) { s.args.push_back("--limit"); s.args.push_back(std::to_string(spec.value("limit", 0))); }
    if (!lm_step_.empty()) s.deps.push_back(lm_step_);
    s.cost = entries_of(spec) * spec.value("epochs", 2);  // entries x epochs
    add(s);
  }

  void add_train_steps(const std::vector<std::string>& models, const std::vector<std::uint64_t>& seeds) {
    const int epochs = p1_.value("epochs", 0);
    for (const auto& [task, limit] : tasks_)
      for (std::uint64_t seed : seeds)
        for (const auto& m : models) {
          Step s;
          s.name = "train-" + m + "-" + task + "-s" + std::to_string(seed);
          s.kind = "train";
          if (std::any_of(steps_.begin(), steps_.end(), [&](const Step& x) { return x.name == s.name; })) continue;
          const std::string out = runs_dir_ + "/" + m + "-" + task + "-s" + std::to_string(seed);
          // Under Slurm each run writes a store of its own (one writer, no WAL: safe on NFS or
          // Lustre), merged by the finish job.
          if (a_.on_slurm()) s.step_store = out + "/store.db";
          s.args = {"train", "--model", m, "--task", task, "--seed", std::to_string(seed), "--profile", a_.profile,
                    "--db", a_.on_slurm() ? s.step_store : a_.db, "--experiment", "table1", "--out", out,
                    "--device", a_.device, "-q"};
          add_journal(s);
          if (limit > 0) { s.args.push_back("--limit"); s.args.push_back(std::to_string(limit)); }
          if (epochs > 0) { s.args.push_back("--epochs"); s.args.push_back(std::to_string(epochs)); }
          if (model_uses_text(m)) { s.args.push_back("--text-encoder"); s.args.push_back(encoder_); }
          if (model_uses_text(m) && !lm_step_.empty()) s.deps.push_back(lm_step_);
          // Per-model options of the recipe ("model_args": {"bert": ["--text-pooling", "mean"]}),
          // the profile's own list first.
          const json margs = p1_.value("model_args", table1_.value("model_args", json::object()));
          if (margs.contains(m))
            for (const auto& x : margs[m]) s.args.push_back(x.get<std::string>());
          if (m == "cast" || m == "multimat") {
            const std::string kind = m == "cast" ? "mnp" : "contrastive";
            s.args.push_back("--init-from");
            s.args.push_back(weights_[kind] + "/model.pt");
            s.deps.push_back("pretrain-" + kind);
          }
          // Entries x epochs; a model's seconds per unit are its class's (exec/cost_model.hpp).
          s.cost = entries_.at(task) * std::max(1, epochs);
          const std::string db = a_.db, profile = a_.profile, step_store = s.step_store;
          const Journal journal = a_.journal();
          // Done when the store has this run on this dataset with this encoder (the run's identity).
          const std::string encoder = model_uses_text(m) ? encoder_ : std::string();
          const std::size_t lim = limit;
          // Under Slurm the run's own store counts too (it is merged by the finish job).
          s.done = [db, journal, step_store, m, task, profile, seed, encoder, lim] {
            if (!file_exists(db) && (step_store.empty() || !file_exists(step_store))) return false;
            if (!encoder.empty() && !file_exists(encoder + "/config.json")) return false;
            const PrepareOptions po = task_dataset_options({task, "", "", ""}, "", lim, true, 512);
            const RunKey key{"table1", m, task, profile, seed, dataset_identity(po), text_encoder_identity(encoder)};
            for (const auto& [path, j] : {std::pair{db, journal}, {step_store, Journal::Delete}}) {
              if (path.empty() || !file_exists(path)) continue;
              ResultsStore st(path, j);
              auto r = st.find_run(key);
              if (r && r->status == "done") return true;
            }
            return false;
          };
          add(s);
        }
  }

  void add_table2_steps() {
    for (const auto& [task, limit] : tasks_) {
      Step s;
      s.name = "table2-" + task;
      s.kind = "data";
      if (a_.on_slurm()) s.step_store = runs_dir_ + "/table2-" + task + ".db";
      s.args = {"data", "prepare", "--task", task, "--db", a_.on_slurm() ? s.step_store : a_.db, "--profile", a_.profile,
                "-q", "--max-tokens", "100000"};
      add_journal(s);
      if (limit > 0) { s.args.push_back("--limit"); s.args.push_back(std::to_string(limit)); }
      if (!encoder_.empty()) { s.args.push_back("--vocab"); s.args.push_back(encoder_ + "/vocab.txt"); }
      if (!lm_step_.empty()) s.deps.push_back(lm_step_);
      s.cost = entries_.at(task);  // entries read, described and tokenised
      add(s);
    }
  }

  void add_figure_step(const std::string& fig) {
    json r = read_recipe(recipes_, fig);
    Step s;
    s.name = "figure-data-" + fig;
    s.kind = "figure";
    s.args = {"figure-data", fig, "--db", a_.db, "--profile", a_.profile, "--seed", std::to_string(r.value("seed", 0)),
              "--device", a_.device};
    add_journal(s);
    if (fig == "fig2") { s.args.push_back("--id"); s.args.push_back(r.value("id", "mp-1963")); }
    if (fig == "fig3") { s.args.push_back("--bins"); s.args.push_back(std::to_string(r.value("bins", 40))); }
    for (const auto& st : steps_)
      if (st.name.rfind("train-cast", 0) == 0 && st.name.size() > 3 && st.name.substr(st.name.size() - 3) == "-s0")
        s.deps.push_back(st.name);
    s.cost = 1;  // one figure's data
    add(s);
  }

  const ReproduceArgs& a_;
  std::string recipes_, runs_dir_, logs_dir_, out_dir_, encoder_, lm_step_;
  json table1_, p1_;
  std::vector<std::string> models_;
  std::vector<std::uint64_t> seeds_;
  std::vector<std::pair<std::string, std::size_t>> tasks_;
  std::map<std::string, std::string> weights_;
  std::map<std::string, double> entries_;
  std::vector<Step> steps_;
};

void write_outputs(const ReproduceArgs& a, const Planner& p) {
  make_directories(p.out_dir());
  ResultsStore store(a.db, a.journal());
  std::vector<std::string> written;
  const bool all = a.what == "all";
  // One table in its three formats; one figure (PNG, SVG, .gp), or a line saying why not.
  auto write_table = [&](const std::string& name, const std::function<std::string(TableFormat)>& render) {
    for (auto [fmt, ext] : {std::pair{TableFormat::Markdown, "md"}, {TableFormat::Latex, "tex"}, {TableFormat::Csv, "csv"}}) {
      const std::string path = p.out_dir() + "/" + name + "." + ext;
      write_file_atomic(path, render(fmt));
      written.push_back(path);
    }
  };
  auto draw = [&](const std::string& fig) {
    try {
      for (const auto& f : plot_figure(fig, a.db, a.profile, "table1", 0, p.out_dir() + "/" + fig, "")) written.push_back(f);
    } catch (const std::exception& e) {
      spdlog::warn("{} not drawn: {}", fig, e.what());
    }
  };
  if (all || a.what == "table1") {
    Table1Options o;
    o.profile = a.profile;
    o.experiment = "table1";
    o.paper_csv = repo_path("results/paper_table1.csv");
    write_table("table1", [&](TableFormat f) { o.format = f; return render_table1(store, o); });
    draw("curves");
  }
  if (all || a.what == "table2") {
    Table2Options o;
    o.profile = a.profile;
    o.paper_csv = repo_path("results/paper_table2.csv");
    write_table("table2", [&](TableFormat f) { o.format = f; return render_table2(store, o); });
  }
  for (const char* fig : {"fig2", "fig3"})
    if (all || a.what == fig) draw(fig);
  std::printf("\nResults (database %s):\n", a.db.c_str());
  for (const auto& w : written) std::printf("  %s\n", w.c_str());
  if (all || a.what == "table1") {
    std::printf("\n%s", read_file(p.out_dir() + "/table1.md").c_str());
  }
}

std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char buf[4096];
  if (!::getcwd(buf, sizeof buf)) fail("cannot read the working directory");
  return path.empty() || path == "." ? std::string(buf) : std::string(buf) + "/" + path;
}

// The Slurm side of a submission: where the jobs run, what the finish job runs, the environment.
exec::SlurmPlan slurm_plan(const ReproduceArgs& a, const Planner& p) {
  exec::SlurmPlan sp;
  sp.exe = exec::self_executable();
  sp.workdir = absolute(".");
  sp.what = a.what;
  sp.profile = a.profile;
  sp.runs_dir = p.runs_dir();
  sp.logs_dir = p.logs_dir();
  sp.slurm_dir = p.runs_dir() + "/slurm";
  sp.db = a.db;
  sp.finish_marker = p.runs_dir() + "/.done-finish-" + a.what;
  sp.finish_args = {"reproduce", a.what, "--profile", a.profile, "--recipes", absolute(p.recipes()), "--db", a.db,
                    "--executor", "local", "--finish", "-j", "1", "--store-journal", "delete", "--device", a.device};
  auto list = [&](const char* opt, const auto& v) {
    if (v.empty()) return;
    std::string joined;
    for (const auto& x : v) {
      std::ostringstream os;
      os << x;
      joined += (joined.empty() ? "" : ",") + os.str();
    }
    sp.finish_args.push_back(opt);
    sp.finish_args.push_back(joined);
  };
  list("--tasks", a.tasks);
  list("--models", a.models);
  list("--seeds", a.seeds);
  if (!a.text_encoder.empty()) {
    sp.finish_args.push_back("--text-encoder");
    sp.finish_args.push_back(a.text_encoder);
  }
  // What the steps read from the environment, fixed in the scripts (sbatch passes the submitting
  // environment too, but a script resubmitted by hand or with --export=NONE should not differ).
  for (const char* var : {"CAST_DATA_DIR", "CAST_CACHE_DIR", "CAST_TEXT_ENCODER", "CAST_SHARED_DIR", "CAST_AFLOW_PROTOTYPES"})
    if (const char* v = std::getenv(var)) sp.env.push_back({var, v});
  return sp;
}

// What the steps of a plan are expected to cost before they run (exec/cost_model.hpp): the step
// times recorded in the store, then the measured defaults in experiments/costs.json.
exec::CostPrior cost_prior(const ReproduceArgs& a) {
  std::vector<exec::StepTime> history;
  if (file_exists(a.db)) {
    ResultsStore st(a.db, a.journal());
    for (const auto& t : st.step_times()) history.push_back({t.cls, t.device, t.profile, t.units, t.seconds});
  }
  const std::string costs = a.costs.empty() ? repo_path("experiments/costs.json") : a.costs;
  return exec::CostPrior(std::move(history), exec::load_cost_defaults(costs), a.device, a.profile);
}

std::string fmt_duration(double s) {
  char b[64];
  if (s >= 86400) std::snprintf(b, sizeof b, "%.1f d", s / 86400);
  else if (s >= 3600) std::snprintf(b, sizeof b, "%.1f h", s / 3600);
  else if (s >= 60) std::snprintf(b, sizeof b, "%.1f min", s / 60);
  else std::snprintf(b, sizeof b, "%.0f s", s);
  return b;
}

// --dry-run: each step, whether it is done, its estimated cost (units x seconds per unit, and
// where the rate comes from), its command line; then the total (GPU-hours on CUDA) and the wall
// time on this executor's schedule.
void print_dry_run(std::vector<Step>& steps, const ReproduceArgs& a, int jobs, const exec::CostPrior& prior) {
  double total = 0, on_gpu = 0;
  std::vector<double> secs(steps.size(), 0.0);
  std::set<std::string> unknown;
  std::size_t todo = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    auto& s = steps[i];
    const bool done = s.done && s.done();
    if (done) s.status = "skipped";
    std::string cmdline = "cast";
    for (const auto& x : s.args) cmdline += " " + x;
    const std::string cls = exec::eta_class(s);
    const auto r = prior.rate(cls);
    std::string cost;
    if (!r || !(s.cost > 0)) {
      cost = !(s.cost > 0) ? "size unknown" : "no estimate";
      if (!done) unknown.insert(cls);
    } else {
      secs[i] = s.cost * r->seconds_per_unit;
      char b[160];
      std::snprintf(b, sizeof b, "%.0f units x %.3g s = %s [%s]", s.cost, r->seconds_per_unit,
                    fmt_duration(secs[i]).c_str(), r->source.c_str());
      cost = b;
      if (!done) total += secs[i];
      if (!done && exec::cost_device(cls, a.device) != "cpu") on_gpu += secs[i];
    }
    todo += !done;
    std::printf("%-5s %-40s %s\n      %s\n", done ? "done" : "todo", s.name.c_str(), cost.c_str(), cmdline.c_str());
  }
  const double wall = exec::simulate_schedule(steps, secs, jobs);
  std::printf("\n%zu of %zu steps to run: %s of step time", todo, steps.size(), fmt_duration(total).c_str());
  if (a.device != "cpu")
    std::printf(" (%.1f GPU-hours in the steps on %s, one GPU a step; %s of data steps on the CPU)", on_gpu / 3600,
                a.device.c_str(), fmt_duration(total - on_gpu).c_str());
  std::printf("; about %s wall with %d at a time here\n", fmt_duration(wall).c_str(), jobs);
  if (!unknown.empty()) {
    std::string u;
    for (const auto& c : unknown) u += (u.empty() ? "" : ", ") + c;
    std::printf("not in the total (no measured rate on %s): %s; run them once (or scripts/gpu_check.sh on a GPU) "
                "and their times are in the store\n", a.device.c_str(), u.c_str());
  }
  std::printf("units: entries x epochs (training, pretraining), texts x epochs (LM), entries (data), 1 (figure data)\n");
}

// The cores this process may use: Slurm's allocation inside a job, else the machine's.
int usable_cores() {
  for (const char* var : {"SLURM_CPUS_PER_TASK", "SLURM_CPUS_ON_NODE"})
    if (const char* v = std::getenv(var)) {
      const int n = std::atoi(v);
      if (n > 0) return n;
    }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

void register_reproduce(CLI::App& app, Action& action) {
  auto a = std::make_shared<ReproduceArgs>();
  auto* cmd = app.add_subcommand("reproduce", "Run the paper's experiments (skips what is done; resumable after a kill)");
  cmd->add_option("what", a->what, "table1 | table2 | fig2 | fig3 | all")
      ->required()->check(CLI::IsMember({"table1", "table2", "fig2", "fig3", "all"}));
  cmd->add_option("--profile", a->profile, "demo | small | paper")->capture_default_str();
  cmd->add_option("--tasks", a->tasks, "Only these tasks (comma-separated or repeated)")->delimiter(',');
  cmd->add_option("--models", a->models, "Only these models")->delimiter(',');
  cmd->add_option("--seeds", a->seeds, "Only these seeds")->delimiter(',');
  cmd->add_option("--db", a->db, "Results database")->capture_default_str();
  cmd->add_option("--text-encoder", a->text_encoder,
                  "BERT checkpoint for the text models (MatSciBERT); default $CAST_TEXT_ENCODER, else the domain LM "
                  "that this command pretrains in results/lm/<profile>");
  cmd->add_option("-j,--jobs", a->jobs, "Steps run at once (default: one per core on CPU, 1 on CUDA)");
  cmd->add_option("--device", a->device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--recipes", a->recipes, "Folder of the recipes (default the project's experiments/)");
  cmd->add_option("--costs", a->costs,
                  "Measured seconds per unit of each kind of step, used where the store has no step times yet "
                  "(default the project's experiments/costs.json)");
  cmd->add_flag("--dry-run", a->dry_run,
                "Print the plan and what is already done, run nothing (slurm: write the job scripts and the manifest, "
                "submit nothing)");
  cmd->add_option("--executor", a->executor,
                  "local: the steps as child processes here; slurm: as Slurm jobs (sbatch), each with a store of its "
                  "own, merged by a last job")
      ->capture_default_str()->check(CLI::IsMember({"local", "slurm"}));
  cmd->add_flag("--status", a->status,
                "Print every step as done / pending / running / failed (with its log) / not submitted, run nothing");
  cmd->add_option("--store-journal", a->store_journal,
                  "Journal of the results database and of the steps writing it: wal (one host) or delete (one writer, "
                  "shared filesystem); default wal, delete under --executor slurm")
      ->check(CLI::IsMember({"wal", "delete"}));
  cmd->add_flag("--finish", a->finish,
                "The Slurm finish job's part: fail unless every training step is done, compute the figure data, "
                "write the tables and figures");
  const char* per_kind = " (VALUE for every job, or KIND=VALUE with KIND lm, pretrain, train, data or finish; repeatable)";
  cmd->add_option("--partition", a->partition, std::string("Slurm partition") + per_kind)->group("Slurm");
  cmd->add_option("--account", a->account, std::string("Slurm account") + per_kind)->group("Slurm");
  cmd->add_option("--qos", a->qos, std::string("Slurm QOS") + per_kind)->group("Slurm");
  cmd->add_option("--time", a->time, std::string("Slurm time limit, e.g. 04:00:00 or train=1-00:00:00") + per_kind)
      ->group("Slurm");
  cmd->add_option("--gpus-per-job", a->slurm.gpus_per_job, "GPUs of each LM, pretraining and training job (--gpus)")
      ->group("Slurm")->check(CLI::NonNegativeNumber);
  cmd->add_option("--cpus-per-job", a->slurm.cpus_per_job, "CPUs of each job (--cpus-per-task; also its threads)")
      ->group("Slurm")->check(CLI::NonNegativeNumber);
  cmd->add_option("--ntasks-per-job", a->slurm.ntasks_per_job,
                  "Processes of each LM, pretraining and training job (--ntasks; started with srun as one "
                  "data-parallel run)")
      ->group("Slurm")->check(CLI::NonNegativeNumber);
  cmd->add_option("--mem", a->slurm.mem, "Memory of each job (--mem, e.g. 16G)")->group("Slurm");
  cmd->add_option("--array-parallelism", a->slurm.array_parallelism,
                  "Tasks of one job array running at once (--array=0-N%K; default no limit)")
      ->group("Slurm")->check(CLI::NonNegativeNumber);
  cmd->add_option("--signal", a->slurm.signal_seconds,
                  "Seconds before the time limit at which a job is warned (--signal=B:USR1@S): training stops at a "
                  "checkpoint and the job requeues itself")
      ->capture_default_str()->group("Slurm")->check(CLI::PositiveNumber);
  cmd->add_option("--sbatch-arg", a->slurm.sbatch_args, "An argument passed verbatim to every sbatch (repeatable)")
      ->group("Slurm")->allow_extra_args(false);
  cmd->callback([a, &action] {
    action = [a] {
      exec::parse_per_kind(a->partition, "--partition", a->slurm.partition);
      exec::parse_per_kind(a->account, "--account", a->slurm.account);
      exec::parse_per_kind(a->qos, "--qos", a->slurm.qos);
      exec::parse_per_kind(a->time, "--time", a->slurm.time);
      if (a->finish && a->executor != "local") fail("--finish runs inside the Slurm finish job, with --executor local");
      make_directories("results");
      make_directories("runs/" + a->profile);
      if (a->status) {
        Planner p(*a);
        auto steps = p.plan();
        if (a->executor == "slurm") return exec::print_slurm_status(steps, slurm_plan(*a, p));
        std::size_t done = 0;
        for (auto& s : steps) {
          const bool d = s.done && s.done();
          done += d;
          std::printf("%-14s %s\n", d ? "done" : "not done", s.name.c_str());
        }
        std::printf("%zu of %zu steps done\n", done, steps.size());
        return done == steps.size() ? 0 : 1;
      }
      // One reproduce per profile at a time (a second would run or submit the same steps twice).
      const std::string lock = "runs/" + a->profile + "/.reproduce.lock";
      int fd = ::open(lock.c_str(), O_RDWR | O_CREAT, 0644);
      if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0)
        fail("another 'cast reproduce --profile ", a->profile, "' is running in this folder (", lock, ")");
      { ResultsStore check(a->db, a->journal()); }  // a corrupt or foreign database fails here, before any work
      Planner p(*a);
      auto steps = p.plan();
      if (a->on_slurm()) {
        const int rc = exec::submit_to_slurm(steps, slurm_plan(*a, p), a->slurm, a->dry_run);
        if (a->dry_run) {  // what the jobs would cost, one job at a time per step
          std::printf("\nestimated cost:\n");
          print_dry_run(steps, *a, static_cast<int>(steps.size()), cost_prior(*a));
        }
        return rc;
      }
      const int cores = usable_cores();
      const int jobs = a->jobs > 0 ? a->jobs : (a->device == "cpu" ? cores : 1);
      const int threads = std::max(1, cores / jobs);
      const exec::CostPrior prior = cost_prior(*a);
      if (a->dry_run) {
        print_dry_run(steps, *a, jobs, prior);
        return 0;
      }
      if (a->finish) {
        std::string missing;
        for (auto& s : steps)
          if (s.kind != "figure" && !(s.done && s.done())) missing += (missing.empty() ? "" : ", ") + s.name;
        if (!missing.empty())
          fail("--finish: not done: ", missing, "; the finish job runs after every step (submit again with "
               "'cast reproduce ", a->what, " --profile ", a->profile, " --executor slurm')");
      }
      std::printf("cast reproduce %s --profile %s (recipes %s)\n", a->what.c_str(), a->profile.c_str(), p.recipes().c_str());
      exec::LocalHooks hooks;
      hooks.prior = &prior;
      const std::string host = host_name();
      // Every finished step's wall time into the store: the next plan's ETA and dry run use it.
      hooks.on_success = [a, host](const Step& s) {
        if (!(s.cost > 0)) return;
        const std::string cls = exec::eta_class(s);
        ResultsStore st(a->db, a->journal());
        st.add_step_time({cls, exec::cost_device(cls, a->device), a->profile, s.cost, s.seconds, host});
      };
      const int rc = exec::run_local(steps, jobs, threads, p.logs_dir(), hooks);
      write_outputs(*a, p);
      return rc;
    };
  });
}

}  // namespace cast::cli
