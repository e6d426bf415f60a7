// cast results list | show RUN | table | export RUN: query the results store; tables are
// rendered from the database alone.
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "report/table1.hpp"
#include "report/table2.hpp"
#include "store/results_store.hpp"

namespace cast::cli {

namespace {
struct ResultsArgs {
  std::string db = "results/cast.db", profile = "demo", experiment = "table1", format = "markdown", out, paper;
  int which = 1;
  std::int64_t run = 0;
};

ResultsStore open_existing(const std::string& path) {
  if (!file_exists(path)) fail(path, ": no results database yet; run 'cast train' or 'cast reproduce' first, or pass --db");
  return ResultsStore(path);
}
}  // namespace

void register_results(CLI::App& app, Action& action) {
  auto a = std::make_shared<ResultsArgs>();
  auto* res = app.add_subcommand("results", "Query the results store: list, show, table, export");
  res->require_subcommand(1);
  res->add_option("--db", a->db, "Results database")->capture_default_str();

  // --db before or after the subcommand ('cast results list --db X' as well as 'cast results --db X list').
  auto db_option = [a](CLI::App* sub) { sub->add_option("--db", a->db, "Results database")->capture_default_str(); };
  auto* list = res->add_subcommand("list", "One line per run: id, experiment, model, task, seed, profile, status, test MAE");
  db_option(list);
  list->callback([a, &action] {
    action = [a] {
      ResultsStore s = open_existing(a->db);
      std::printf("%-5s %-10s %-17s %-17s %-5s %-7s %-8s %-9s %s\n", "id", "experiment", "model", "task", "seed", "profile",
                  "status", "test MAE", "train s");
      for (const auto& r : s.runs()) {
        std::string mae = "-";
        for (const auto& [k, v] : s.metrics(r.id, "test"))
          if (k == "mae") { char b[32]; std::snprintf(b, sizeof b, "%.4f", v); mae = b; }
        double secs = 0;  // training time: the sum over epochs (excludes time spent killed)
        for (const auto& e : s.epochs(r.id)) secs += e.seconds;
        std::printf("%-5lld %-10s %-17s %-17s %-5llu %-7s %-8s %-9s %.1f\n", static_cast<long long>(r.id),
                    r.key.experiment.c_str(), r.key.model.c_str(), r.key.task.c_str(),
                    static_cast<unsigned long long>(r.key.seed), r.key.profile.c_str(), r.status.c_str(), mae.c_str(), secs);
      }
      return 0;
    };
  });

  auto* show = res->add_subcommand("show", "A run's configuration, epochs and metrics");
  show->add_option("run", a->run, "Run id (see 'cast results list')")->required();
  db_option(show);
  show->callback([a, &action] {
    action = [a] {
      ResultsStore s = open_existing(a->db);
      auto v = s.runs("id=" + std::to_string(a->run));
      if (v.empty()) fail("no run ", a->run, " in ", a->db, "; see 'cast results list'");
      const auto& r = v[0];
      std::printf("run %lld: %s %s %s seed %llu profile %s, %s\n  git %s, %s, device %s, text encoder %s\n  config %s\n",
                  static_cast<long long>(r.id), r.key.experiment.c_str(), r.key.model.c_str(), r.key.task.c_str(),
                  static_cast<unsigned long long>(r.key.seed), r.key.profile.c_str(), r.status.c_str(), r.git_sha.c_str(),
                  r.versions.c_str(), r.device.c_str(), r.text_encoder.empty() ? "-" : r.text_encoder.c_str(), r.config.c_str());
      std::printf("  dataset %s (%s)\n  text encoder identity %s%s%s\n",
                  r.dataset_desc.empty() ? "-" : r.dataset_desc.c_str(), r.key.dataset.empty() ? "schema 1, unknown" : r.key.dataset.c_str(),
                  r.key.text_encoder.empty() ? "-" : r.key.text_encoder.c_str(), r.origin.empty() ? "" : "\n  merged from ",
                  r.origin.c_str());
      if (!r.error.empty()) std::printf("  error: %s\n", r.error.c_str());
      std::printf("  epoch  train loss  val MAE   lr        seconds  waiting for data\n");
      for (const auto& e : s.epochs(r.id))
        std::printf("  %-6d %-11.4f %-9.4f %-9.2e %-8.1f %.2f s\n", e.epoch, e.train_loss, e.val_mae, e.lr, e.seconds,
                    e.data_wait);
      for (const char* split : {"val", "test"})
        for (const auto& [k, val] : s.metrics(r.id, split)) std::printf("  %s %s = %.6g\n", split, k.c_str(), val);
      return 0;
    };
  });

  auto* table = res->add_subcommand("table", "Table 1 or 2 from the store, with the paper's values beside ours");
  db_option(table);
  table->add_option("--table", a->which, "1 (test MAE) or 2 (dataset statistics)")->check(CLI::IsMember({1, 2}))->capture_default_str();
  table->add_option("--profile", a->profile, "Profile of the runs")->capture_default_str();
  table->add_option("--experiment", a->experiment,
                    "Runs of this experiment ('cast train' alone records under 'manual'; 'all' for every one)")
      ->capture_default_str();
  table->add_option("--format", a->format, "markdown | latex | csv")->capture_default_str();
  table->add_option("--paper", a->paper, "The paper's table as CSV (default results/paper_table<N>.csv)");
  table->add_option("-o,--output", a->out, "Write to this file instead of standard output");
  table->callback([a, &action] {
    action = [a] {
      ResultsStore s = open_existing(a->db);
      const std::string paper =
          a->paper.empty() ? repo_path("results/paper_table" + std::to_string(a->which) + ".csv") : a->paper;
      std::string t;
      if (a->which == 2) {
        Table2Options o;
        o.profile = a->profile;
        o.paper_csv = paper;
        o.format = parse_table_format(a->format);
        t = render_table2(s, o);
      } else {
        Table1Options o;
        o.profile = a->profile;
        o.experiment = a->experiment == "all" ? "" : a->experiment;
        o.paper_csv = paper;
        o.format = parse_table_format(a->format);
        t = render_table1(s, o);
      }
      if (a->out.empty()) std::fputs(t.c_str(), stdout);
      else write_file_atomic(a->out, t);
      return 0;
    };
  });

  auto* exp = res->add_subcommand("export", "A run's predictions as CSV (split, id, y_true, y_pred)");
  exp->add_option("run", a->run, "Run id")->required();
  db_option(exp);
  exp->add_option("-o,--output", a->out, "Output file (default: standard output)");
  exp->callback([a, &action] {
    action = [a] {
      ResultsStore s = open_existing(a->db);
      if (s.runs("id=" + std::to_string(a->run)).empty())
        fail("no run ", a->run, " in ", a->db, "; see 'cast results list'");
      std::string csv = "split,sample_id,y_true,y_pred\n";
      char b[128];
      for (const auto& p : s.predictions(a->run)) {
        std::snprintf(b, sizeof b, ",%.9g,%.9g\n", p.y_true, p.y_pred);
        csv += p.split + "," + p.sample_id + b;
      }
      if (a->out.empty()) std::fputs(csv.c_str(), stdout);
      else write_file_atomic(a->out, csv);
      return 0;
    };
  });

  auto files = std::make_shared<std::vector<std::string>>();
  auto into = std::make_shared<std::string>();
  auto journal = std::make_shared<std::string>("wal");
  // The executor's record of every finished step, per class, device and profile; with --costs
  // in experiments/costs.json's format (the prior of the ETA and of --dry-run on another store).
  auto costs = std::make_shared<bool>(false);
  auto* times = res->add_subcommand("step-times", "Seconds per unit of each class of step, from the steps run here");
  db_option(times);
  times->add_flag("--costs", *costs, "Print them as a cost table (the format of experiments/costs.json, --costs)");
  times->callback([a, costs, &action] {
    action = [a, costs] {
      ResultsStore s = open_existing(a->db);
      std::map<std::tuple<std::string, std::string, std::string>, std::tuple<double, double, int>> agg;
      for (const auto& t : s.step_times()) {
        auto& [u, sec, n] = agg[{t.cls, t.device, t.profile}];
        u += t.units;
        sec += t.seconds;
        ++n;
      }
      if (*costs) {
        nlohmann::json j;
        j["about"] = "Seconds per unit of work of each class of step, from the step times in " + a->db +
                     " (cast results step-times --costs).";
        j["rates"] = nlohmann::json::array();
        for (const auto& [k, v] : agg)
          j["rates"].push_back({{"class", std::get<0>(k)}, {"device", std::get<1>(k)}, {"profile", std::get<2>(k)},
                                {"units", std::get<0>(v)}, {"seconds", std::get<1>(v)}, {"steps", std::get<2>(v)}});
        std::printf("%s\n", j.dump(1).c_str());
        return 0;
      }
      if (agg.empty()) std::printf("no step times in %s (the local executor records them)\n", a->db.c_str());
      else std::printf("%-36s %-6s %-8s %6s %12s %10s %12s\n", "class", "device", "profile", "steps", "units", "seconds", "s/unit");
      for (const auto& [k, v] : agg)
        std::printf("%-36s %-6s %-8s %6d %12.0f %10.1f %12.4g\n", std::get<0>(k).c_str(), std::get<1>(k).c_str(),
                    std::get<2>(k).c_str(), std::get<2>(v), std::get<0>(v), std::get<1>(v), std::get<1>(v) / std::get<0>(v));
      return 0;
    };
  });

  auto* merge = res->add_subcommand("merge", "Import per-step stores (cluster jobs) into one store, idempotent by run identity");
  merge->add_option("--into", *into, "The store to merge into (created when absent)")->required();
  merge->add_option("files", *files, "Per-step store files")->required();
  merge->add_option("--store-journal", *journal, "wal | delete (the --into store on a shared filesystem)")
      ->check(CLI::IsMember({"wal", "delete"}))->capture_default_str();
  merge->callback([files, into, journal, &action] {
    action = [files, into, journal] {
      if (into->find('/') != std::string::npos) make_directories(into->substr(0, into->find_last_of('/')));
      ResultsStore s(*into, parse_journal(*journal));
      MergeReport total;
      for (const auto& f : *files) {
        const MergeReport r = s.merge(f);
        total.runs_added += r.runs_added;
        total.runs_replaced += r.runs_replaced;
        total.runs_same += r.runs_same;
        total.runs_skipped += r.runs_skipped;
      }
      std::printf("merged %zu store(s) into %s: %zu runs added, %zu replaced (unfinished here), %zu already here, "
                  "%zu skipped (unfinished there)\n",
                  files->size(), into->c_str(), total.runs_added, total.runs_replaced, total.runs_same, total.runs_skipped);
      return 0;
    };
  });
}

}  // namespace cast::cli
