// cast reproduce table1|table2|fig2|fig3|all: the paper's experiments from the recipes in
// experiments/, as a plan of steps (corpus, domain LM, pretraining, one `cast train` per model,
// task and seed, dataset statistics, figure data). Each step runs as a child process of this
// binary; a step is skipped when its result exists (a finished run in the store, a completed
// marker), so a restart after a kill -9 continues where it stopped: interrupted training
// resumes from its last checkpoint, nothing finished runs twice. Children die with the parent.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "baselines/regressors.hpp"
#include "cli/commands.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "report/table1.hpp"
#include "report/table2.hpp"
#include "store/results_store.hpp"

namespace cast::cli {

std::vector<std::string> plot_figure(const std::string& figure, const std::string& db, const std::string& profile,
                                     const std::string& experiment, std::uint64_t seed, const std::string& prefix);

namespace {

using nlohmann::json;

struct ReproduceArgs {
  std::string what, profile = "demo", db = "results/cast.db", text_encoder, recipes, device = "cpu";
  std::vector<std::string> tasks, models;
  std::vector<std::uint64_t> seeds;
  int jobs = 0;
  bool dry_run = false;
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

struct Step {
  std::string name;                 // unique, also the log file name
  std::vector<std::string> args;    // cast arguments
  std::vector<std::string> deps;    // step names
  double cost = 1;                  // relative, for the ETA
  std::function<bool()> done;       // already complete?
  std::string marker;               // written when the child succeeds (empty: done() decides)
  std::string status = "pending";   // pending | skipped | running | ok | failed | blocked
  pid_t pid = 0;
  double started = 0, seconds = 0;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string fmt_time(double s) {
  if (s < 0) return "?";
  char b[32];
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) std::snprintf(b, sizeof b, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else std::snprintf(b, sizeof b, "%ldm%02lds", t / 60, t % 60);
  return b;
}

pid_t spawn(const std::string& exe, const std::vector<std::string>& args, const std::string& log, int threads) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) fail("cannot start a child process (", std::strerror(errno), ")");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a killed reproduce takes its children with it
    if (::getppid() != parent) ::_exit(111);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    const std::string t = std::to_string(threads);
    ::setenv("OMP_NUM_THREADS", t.c_str(), 1);
    ::setenv("OPENBLAS_NUM_THREADS", t.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(exe.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    std::perror("execv");
    ::_exit(127);
  }
  return pid;
}

std::string tail_of(const std::string& path, std::size_t lines) {
  if (!file_exists(path)) return "";
  std::string s = read_file(path);
  std::size_t pos = s.size(), n = 0;
  while (pos > 0 && n <= lines) {
    pos = s.rfind('\n', pos - 1);
    if (pos == std::string::npos) { pos = 0; break; }
    ++n;
  }
  return s.substr(pos);
}

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
        std::printf("skipping task %s: its data file is not here (%s)\n", task.c_str(), src.empty() ? "no data folder" : src.c_str());
        continue;
      }
      tasks_.push_back({task, spec.value("limit", std::size_t{0})});
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

 private:
  std::string marker_path(const std::string& name) const { return runs_dir_ + "/.done-" + name; }

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
    c.args = {"data", "prepare", "--task", lm.value("corpus_task", "formation_energy"), "--corpus-out", corpus, "-q"};
    if (lm.value("limit", 0) > 0) { c.args.push_back("--limit"); c.args.push_back(std::to_string(lm.value("limit", 0))); }
    c.cost = 5;
    add(c);
    Step s;
    s.name = "lm-pretrain";
    s.args = {"lm", "pretrain", "--profile", a_.profile, "--out", encoder_, "--epochs", std::to_string(lm.value("epochs", 2)),
              "-q", "--corpus", corpus};
    s.deps = {"lm-corpus"};
    s.cost = 20.0 * lm.value("epochs", 2) * (lm.value("limit", 0) > 0 ? lm.value("limit", 0) / 6000.0 : 6.0);
    lm_step_ = s.name;
    add(s);
  }

  void add_pretrain_step(const std::string& kind, const json& spec) {
    Step s;
    s.name = "pretrain-" + kind;
    weights_[kind] = runs_dir_ + "/pretrain-" + kind;
    s.args = {"pretrain", "--kind", kind, "--profile", a_.profile, "--task", spec.value("task", "formation_energy"),
              "--out", weights_[kind], "--epochs", std::to_string(spec.value("epochs", 2)), "--text-encoder", encoder_, "-q"};
    if (spec.value("limit", 0) > 0) { s.args.push_back("--limit"); s.args.push_back(std::to_string(spec.value("limit", 0))); }
    if (!lm_step_.empty()) s.deps.push_back(lm_step_);
    s.cost = 10.0 * spec.value("epochs", 2) * std::max(1, spec.value("limit", 0)) / 2000.0;
    add(s);
  }

  void add_train_steps(const std::vector<std::string>& models, const std::vector<std::uint64_t>& seeds) {
    const int epochs = p1_.value("epochs", 0);
    for (const auto& [task, limit] : tasks_)
      for (std::uint64_t seed : seeds)
        for (const auto& m : models) {
          Step s;
          s.name = "train-" + m + "-" + task + "-s" + std::to_string(seed);
          if (std::any_of(steps_.begin(), steps_.end(), [&](const Step& x) { return x.name == s.name; })) continue;
          const std::string out = runs_dir_ + "/" + m + "-" + task + "-s" + std::to_string(seed);
          s.args = {"train", "--model", m, "--task", task, "--seed", std::to_string(seed), "--profile", a_.profile,
                    "--db", a_.db, "--experiment", "table1", "--out", out, "--device", a_.device, "-q"};
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
          const double per = static_cast<double>(limit > 0 ? limit : 5000) / 400.0 * std::max(1, epochs) / 4.0;
          // Text models took 1.4-2.6x a coGN run in the small table (BERT-only 1.4, CAST 2.6).
          s.cost = model_uses_text(m) ? 2.2 * per : per;
          const std::string db = a_.db, profile = a_.profile;
          // Done when the store has this run on this dataset with this encoder (the run's identity).
          const std::string encoder = model_uses_text(m) ? encoder_ : std::string();
          const std::size_t lim = limit;
          s.done = [db, m, task, profile, seed, encoder, lim] {
            if (!file_exists(db)) return false;
            if (!encoder.empty() && !file_exists(encoder + "/config.json")) return false;
            const PrepareOptions po = task_dataset_options({task, "", "", ""}, "", lim, true, 512);
            const RunKey key{"table1", m, task, profile, seed, dataset_identity(po), text_encoder_identity(encoder)};
            ResultsStore st(db);
            auto r = st.find_run(key);
            return r && r->status == "done";
          };
          add(s);
        }
  }

  void add_table2_steps() {
    for (const auto& [task, limit] : tasks_) {
      Step s;
      s.name = "table2-" + task;
      s.args = {"data", "prepare", "--task", task, "--db", a_.db, "--profile", a_.profile, "-q",
                "--max-tokens", "100000"};
      if (limit > 0) { s.args.push_back("--limit"); s.args.push_back(std::to_string(limit)); }
      if (!encoder_.empty()) { s.args.push_back("--vocab"); s.args.push_back(encoder_ + "/vocab.txt"); }
      if (!lm_step_.empty()) s.deps.push_back(lm_step_);
      s.cost = 1;
      add(s);
    }
  }

  void add_figure_step(const std::string& fig) {
    json r = read_recipe(recipes_, fig);
    Step s;
    s.name = "figure-data-" + fig;
    s.args = {"figure-data", fig, "--db", a_.db, "--profile", a_.profile, "--seed", std::to_string(r.value("seed", 0))};
    if (fig == "fig2") { s.args.push_back("--id"); s.args.push_back(r.value("id", "mp-1963")); }
    if (fig == "fig3") { s.args.push_back("--bins"); s.args.push_back(std::to_string(r.value("bins", 40))); }
    for (const auto& st : steps_)
      if (st.name.rfind("train-cast", 0) == 0 && st.name.size() > 3 && st.name.substr(st.name.size() - 3) == "-s0")
        s.deps.push_back(st.name);
    s.cost = 2;
    add(s);
  }

  const ReproduceArgs& a_;
  std::string recipes_, runs_dir_, logs_dir_, out_dir_, encoder_, lm_step_;
  json table1_, p1_;
  std::vector<std::string> models_;
  std::vector<std::uint64_t> seeds_;
  std::vector<std::pair<std::string, std::size_t>> tasks_;
  std::map<std::string, std::string> weights_;
  std::vector<Step> steps_;
};

// Runs the plan: up to `jobs` children at once, in plan order as dependencies allow.
int execute(std::vector<Step>& steps, int jobs, int threads, const std::string& logs_dir) {
  char exe_buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", exe_buf, sizeof exe_buf - 1);
  if (n <= 0) fail("cannot find this executable (/proc/self/exe)");
  exe_buf[n] = '\0';
  const std::string exe(exe_buf);
  make_directories(logs_dir);
  std::map<std::string, Step*> by_name;
  for (auto& s : steps) by_name[s.name] = &s;
  double total_cost = 0, skipped_cost = 0;
  for (auto& s : steps) {
    total_cost += s.cost;
    if (s.done && s.done()) { s.status = "skipped"; skipped_cost += s.cost; }
  }
  const std::size_t skipped = static_cast<std::size_t>(std::count_if(steps.begin(), steps.end(), [](const Step& s) { return s.status == "skipped"; }));
  std::printf("plan: %zu steps, %zu already done; %d at a time; logs in %s/\n", steps.size(), skipped, jobs, logs_dir.c_str());
  std::fflush(stdout);
  const bool tty = ::isatty(1) != 0;
  const double t0 = now_s();
  double done_cost = 0, busy_seconds = 0, last_draw = 0;
  std::size_t finished = skipped, failed = 0;
  auto finished_ok = [&](const std::string& name) {
    auto it = by_name.find(name);
    return it == by_name.end() || it->second->status == "ok" || it->second->status == "skipped";
  };
  auto draw = [&](bool force) {
    const double t = now_s();
    if (!force && t - last_draw < (tty ? 0.5 : 60)) return;
    last_draw = t;
    std::string running;
    for (auto& s : steps) if (s.status == "running") running += (running.empty() ? "" : ", ") + s.name;
    // Seconds of one job per unit of cost, from the steps run so far; `jobs` run at once. (The
    // elapsed wall time already includes the parallelism: dividing it by `jobs` again made the ETA
    // of -j 2 half the real one.)
    const double remaining = total_cost - skipped_cost - done_cost;
    const double rate = done_cost > 0 ? busy_seconds / done_cost : -1;
    char line[512];
    std::snprintf(line, sizeof line, "[%zu/%zu steps, %s elapsed, ETA %s] %s", finished, steps.size(),
                  fmt_time(t - t0).c_str(), rate > 0 ? fmt_time(remaining * rate / std::max(1, jobs)).c_str() : "?",
                  running.substr(0, 150).c_str());
    if (tty) std::printf("\r\033[K%s", line);
    else std::printf("%s\n", line);
    std::fflush(stdout);
  };
  for (;;) {
    // Block steps whose dependency failed.
    for (auto& s : steps)
      if (s.status == "pending")
        for (const auto& d : s.deps) {
          auto it = by_name.find(d);
          if (it != by_name.end() && (it->second->status == "failed" || it->second->status == "blocked")) {
            s.status = "blocked";
            ++finished;
            break;
          }
        }
    int running = 0;
    for (auto& s : steps) running += s.status == "running";
    for (auto& s : steps) {
      if (running >= jobs) break;
      if (s.status != "pending") continue;
      if (!std::all_of(s.deps.begin(), s.deps.end(), finished_ok)) continue;
      s.status = "running";
      s.started = now_s();
      const std::string log = logs_dir + "/" + s.name + ".log";
      s.pid = spawn(exe, s.args, log, threads);
      ++running;
    }
    if (running == 0) break;
    int wstatus = 0;
    pid_t pid = ::waitpid(-1, &wstatus, WNOHANG);
    if (pid == 0) {
      draw(false);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    if (pid < 0) break;
    for (auto& s : steps) {
      if (s.pid != pid || s.status != "running") continue;
      s.seconds = now_s() - s.started;
      const bool ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
      s.status = ok ? "ok" : "failed";
      ++finished;
      done_cost += s.cost;
      busy_seconds += s.seconds;
      if (ok && !s.marker.empty()) write_file_atomic(s.marker, s.name + "\n");
      if (tty) std::printf("\r\033[K");
      std::printf("%s %-45s %s\n", ok ? "done  " : "FAILED", s.name.c_str(), fmt_time(s.seconds).c_str());
      if (!ok) {
        ++failed;
        std::printf("  log %s/%s.log ends with:%s\n", logs_dir.c_str(), s.name.c_str(),
                    tail_of(logs_dir + "/" + s.name + ".log", 4).c_str());
      }
      std::fflush(stdout);
    }
  }
  if (tty) std::printf("\r\033[K");
  std::size_t blocked = static_cast<std::size_t>(std::count_if(steps.begin(), steps.end(), [](const Step& s) { return s.status == "blocked"; }));
  std::printf("finished in %s: %zu steps run, %zu skipped (done before), %zu failed, %zu blocked by a failure\n",
              fmt_time(now_s() - t0).c_str(), finished - skipped - failed - blocked, skipped, failed, blocked);
  return failed + blocked == 0 ? 0 : 1;
}

void write_outputs(const ReproduceArgs& a, const Planner& p) {
  make_directories(p.out_dir());
  ResultsStore store(a.db);
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
      for (const auto& f : plot_figure(fig, a.db, a.profile, "table1", 0, p.out_dir() + "/" + fig)) written.push_back(f);
    } catch (const std::exception& e) {
      std::printf("%s not drawn: %s\n", fig.c_str(), e.what());
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
  cmd->add_flag("--dry-run", a->dry_run, "Print the plan and what is already done, run nothing");
  cmd->callback([a, &action] {
    action = [a] {
      make_directories("results");
      make_directories("runs/" + a->profile);
      // One reproduce per profile at a time (a second would run the same steps twice).
      const std::string lock = "runs/" + a->profile + "/.reproduce.lock";
      int fd = ::open(lock.c_str(), O_RDWR | O_CREAT, 0644);
      if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0)
        fail("another 'cast reproduce --profile ", a->profile, "' is running in this folder (", lock, ")");
      { ResultsStore check(a->db); }  // a corrupt or foreign database fails here, before any work
      Planner p(*a);
      auto steps = p.plan();
      const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
      const int jobs = a->jobs > 0 ? a->jobs : (a->device == "cpu" ? static_cast<int>(cores) : 1);
      const int threads = std::max(1, static_cast<int>(cores) / jobs);
      if (a->dry_run) {
        for (auto& s : steps) {
          std::string cmdline = "cast";
          for (const auto& x : s.args) cmdline += " " + x;
          std::printf("%-8s %-45s %s\n", s.done && s.done() ? "done" : "todo", s.name.c_str(), cmdline.c_str());
        }
        return 0;
      }
      std::printf("cast reproduce %s --profile %s (recipes %s)\n", a->what.c_str(), a->profile.c_str(), p.recipes().c_str());
      const int rc = execute(steps, jobs, threads, p.logs_dir());
      write_outputs(*a, p);
      return rc;
    };
  });
}

}  // namespace cast::cli
