#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>

#include "common/error.hpp"
#include "report/table1.hpp"
#include "report/table2.hpp"
#include "store/results_store.hpp"

using namespace cast;
using Catch::Matchers::Contains;

namespace {
std::string temp_db(const std::string& name) {
  std::string p = "/tmp/cast-test-" + name + "-" + std::to_string(::getpid()) + ".db";
  std::remove(p.c_str());
  std::remove((p + "-wal").c_str());
  std::remove((p + "-shm").c_str());
  return p;
}
}  // namespace

TEST_CASE("a run's epochs, predictions and recomputed metrics survive reopening") {
  const std::string path = temp_db("store");
  {
    ResultsStore s(path);
    RunKey k{"table1", "cogn", "log_kvrh", "demo", 1, "ds1", ""};
    const RunMeta meta{"{}", "abc123", "torch 1.13", "cpu", "", "log_kvrh from x"};
    auto id = s.begin_run(k, meta).id;
    CHECK(s.begin_run(k, meta).id == id);  // same key, same run
    s.add_epoch(id, {1, 0.5, 0.2, 1e-3, 2.0});
    s.add_epoch(id, {2, 0.4, 0.1, 5e-4, 2.0, 0.25});
    s.finish_run(id, {{"test", "a", 1.0, 1.5}, {"test", "b", 2.0, 1.0}, {"val", "c", 0.0, 0.1}},
                 {{1, 0.5, 0.2, 1e-3, 2.0}, {2, 0.4, 0.1, 5e-4, 2.0, 0.25}}, meta);
  }
  ResultsStore s(path);
  auto runs = s.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status == "done");
  CHECK(runs[0].git_sha == "abc123");
  REQUIRE(s.epochs(runs[0].id).size() == 2);
  CHECK(s.epochs(runs[0].id)[1].data_wait == 0.25);  // seconds waiting for data kept beside the step seconds
  std::map<std::string, double> m;
  for (auto& [k, v] : s.metrics(runs[0].id, "test")) m[k] = v;
  CHECK(m["mae"] == Approx(0.75));            // (0.5 + 1.0) / 2
  CHECK(m["rmse"] == Approx(std::sqrt((0.25 + 1.0) / 2)));
  CHECK(m["n"] == 2);
  CHECK(s.predictions(runs[0].id, "test").size() == 2);
  CHECK(s.find_run({"table1", "cogn", "log_kvrh", "demo", 1, "ds1", ""}).has_value());
  CHECK_FALSE(s.find_run({"table1", "cogn", "log_kvrh", "demo", 2, "ds1", ""}).has_value());
  CHECK_FALSE(s.find_run({"table1", "cogn", "log_kvrh", "demo", 1, "ds2", ""}).has_value());  // another dataset
}

TEST_CASE("foreign and corrupted files are refused with a message naming them") {
  const std::string foreign = temp_db("foreign");
  sqlite3* db = nullptr;
  sqlite3_open(foreign.c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE photos(id INTEGER)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  CHECK_THROWS_WITH(ResultsStore(foreign), Contains(foreign) && Contains("another application"));
  const std::string junk = temp_db("junk");
  std::ofstream(junk) << "this is not a database, just text that is long enough to fill a header page........";
  CHECK_THROWS_WITH(ResultsStore(junk), Contains(junk) && Contains("not a SQLite database"));
}

TEST_CASE("frozen splits: a sample cannot move to another split") {
  ResultsStore s(temp_db("splits"));
  s.record_split("band_gap", {{"mp-1", "train"}, {"mp-2", "test"}});
  CHECK_NOTHROW(s.record_split("band_gap", {{"mp-1", "train"}}));
  CHECK_THROWS_WITH(s.record_split("band_gap", {{"mp-2", "val"}}), Contains("mp-2") && Contains("frozen"));
}

TEST_CASE("two processes writing to one database at once lose nothing") {
  const std::string path = temp_db("concurrent");
  { ResultsStore init(path); }
  pid_t kids[2];
  for (int k = 0; k < 2; ++k) {
    kids[k] = fork();
    if (kids[k] == 0) {
      try {
        ResultsStore s(path);
        for (int r = 0; r < 40; ++r) {
          auto id = s.begin_run({"t", "m" + std::to_string(k), "task", "demo", static_cast<std::uint64_t>(r), "d", ""},
                                {"{}", "", "", "cpu", "", ""}).id;
          s.add_epoch(id, {1, 0.1, 0.1, 0.1, 0.1});
          s.finish_run(id, {{"test", "x", 1.0, 2.0}}, {{1, 0.1, 0.1, 0.1, 0.1}}, {"{}", "", "", "cpu", "", ""});
        }
        _exit(0);
      } catch (...) {
        _exit(1);
      }
    }
  }
  for (pid_t p : kids) {
    int status = 0;
    waitpid(p, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  ResultsStore s(path);
  auto runs = s.runs();
  CHECK(runs.size() == 80);
  for (const auto& r : runs) CHECK(r.status == "done");
}

TEST_CASE("Table 1's reference row: the training split's mean target predicted for the test entries, never ranked") {
  const std::string path = temp_db("table1-ref");
  ResultsStore s(path);
  const RunMeta meta{"{}", "", "", "cpu", "", ""};
  // Seed 0: train targets 1 and 3 (mean 2), test targets 1 and 2.5 -> |1-2| and |2.5-2|: 0.75.
  // Seed 1: train targets 0 and 1 (mean 0.5), test the same -> 0.5 and 2.0: 1.25.
  auto id0 = s.begin_run({"table1", "cogn", "log_kvrh", "demo", 0, "d", ""}, meta).id;
  s.finish_run(id0, {{"train", "t1", 1.0, 9.0}, {"train", "t2", 3.0, 9.0}, {"test", "a", 1.0, 1.0}, {"test", "b", 2.5, 2.5}},
               {}, meta);
  auto id1 = s.begin_run({"table1", "cogn", "log_kvrh", "demo", 1, "d", ""}, meta).id;
  s.finish_run(id1, {{"train", "t1", 0.0, 9.0}, {"train", "t2", 1.0, 9.0}, {"test", "a", 1.0, 1.0}, {"test", "b", 2.5, 2.5}},
               {}, meta);
  // A run recorded without training predictions adds nothing to the row.
  auto id2 = s.begin_run({"table1", "cogn", "log_gvrh", "demo", 0, "d", ""}, meta).id;
  s.finish_run(id2, {{"test", "a", 1.0, 1.1}}, {}, meta);
  Table1Options o;
  const std::string md = render_table1(s, o);
  // mean of 0.75 and 1.25 is 1.0, sample std 0.354; log_gvrh has no reference.
  CHECK_THAT(md, Contains("| *Mean predictor (reference)* | - | *1.000 (0.354)* |"));
  CHECK_THAT(md, Contains("has learned nothing"));
  // The models are ranked among themselves: cogn is best although the reference row is lower
  // on no task here; the row itself never carries bold or underline.
  CHECK_THAT(md, !Contains("**1.000"));
  o.format = TableFormat::Csv;
  CHECK_THAT(render_table1(s, o), Contains("mean-predictor (reference),log_kvrh,2,1.0000,0.3536,,,,log10(GPa)"));
  o.format = TableFormat::Latex;
  CHECK_THAT(render_table1(s, o), Contains("\\textit{Mean predictor (reference)} & - & \\textit{1.000 (0.354)}"));
}

TEST_CASE("Table 1 from the store: mean (std) over seeds, best bold, second underlined, paper beside") {
  const std::string path = temp_db("table1");
  ResultsStore s(path);
  // cast: test MAE 0.04, 0.05, 0.06 over three seeds; cogn: 0.10, 0.10, 0.10; bert: 0.2.
  auto add = [&](const std::string& model, std::uint64_t seed, double err) {
    const RunMeta meta{"{}", "", "", "cpu", model == "cogn" ? "" : "results/lm/demo", ""};
    auto id = s.begin_run({"table1", model, "log_kvrh", "demo", seed, "d", model == "cogn" ? "" : "demo@1"}, meta).id;
    s.finish_run(id, {{"test", "a", 1.0, 1.0 + err}, {"test", "b", 2.0, 2.0 - err}}, {}, meta);
  };
  add("cast", 0, 0.04); add("cast", 1, 0.05); add("cast", 2, 0.06);
  add("cogn", 0, 0.10); add("cogn", 1, 0.10); add("cogn", 2, 0.10);
  add("bert", 0, 0.2);
  Table1Options o;
  o.paper_csv = std::string(CAST_TEST_DIR) + "/../results/paper_table1.csv";
  std::string md = render_table1(s, o);
  CHECK_THAT(md, Contains("| CAST | **0.050 (0.010)** / 0.039 (0.000) [+0.011] |"));
  CHECK_THAT(md, Contains("| coGN | <u>0.100 (0.000)</u> / 0.050 (0.001) [+0.050] |"));
  CHECK_THAT(md, Contains("0.200 (0.000) / 0.053 (0.001) [+0.147] (n=1)"));
  CHECK_THAT(md, Contains("log_kvrh=results/lm/demo"));
  CHECK(render_table1(s, o) == md);  // regenerated from the database alone: the same bytes
  o.format = TableFormat::Latex;
  CHECK_THAT(render_table1(s, o), Contains("\\textbf{0.050 (0.010)}"));
  o.format = TableFormat::Csv;
  CHECK_THAT(render_table1(s, o), Contains("cast,log_kvrh,3,0.0500,0.0100,0.0390,0.0003,0.0110"));
}

TEST_CASE("figure data and Table 2 statistics round-trip through the store; Table 2 shows the paper beside") {
  const std::string path = temp_db("figures");
  {
    ResultsStore s(path);
    FigureKey k{"fig2", "demo", "cast", "log_kvrh", "mp-1963"};
    s.put_attention(k, {{0, 0, "Al(1)", 0, "[CLS]", 0.25}, {0, 0, "Al(1)", 1, "al", 0.75}, {1, 1, "Te(2)", 0, "[CLS]", 1.0}});
    s.put_attention(k, {{0, 0, "Al(1)", 0, "[CLS]", 0.5}});  // replaces, does not append
    s.put_histogram({"fig3", "demo", "cast-scratch", "log_kvrh", ""}, {{0, 0.0, 0.5, 3}, {0, 0.5, 1.0, 7}});
    s.put_dataset_stats("demo", "log_kvrh", "x.json.gz",
                        {{"train", "n", 80}, {"train", "nodes_mean", 3.5}, {"train", "nodes_std", 2},
                         {"train", "y_mean", 1.9}, {"train", "y_std", 0.4}, {"train", "text_rate", 1},
                         {"val+test", "n", 20}, {"val+test", "nodes_mean", 3}, {"val+test", "nodes_std", 1},
                         {"val+test", "y_mean", 1.8}, {"val+test", "y_std", 0.3}, {"val+test", "text_rate", 0.95},
                         {"val+test", "texts_source", 12}, {"val+test", "texts_describer", 7}});
  }
  ResultsStore s(path);
  auto maps = s.attention_maps("fig2", "demo");
  REQUIRE(maps.size() == 1);
  CHECK(maps[0].first.sample_id == "mp-1963");
  REQUIRE(maps[0].second.size() == 1);
  CHECK(maps[0].second[0].weight == 0.5);
  auto hs = s.histograms("fig3", "demo");
  REQUIRE(hs.size() == 1);
  CHECK(hs[0].second[1].count == 7);
  CHECK(s.histograms("fig3", "paper").empty());
  Table2Options o;
  o.profile = "demo";
  o.paper_csv = std::string(CAST_TEST_DIR) + "/../results/paper_table2.csv";
  const std::string md = render_table2(s, o);
  // The train row was stored without the text origins (an older store): n/a, not 0 / 0.
  CHECK_THAT(md, Contains("| log_kvrh | train | 80 | 3.50 (2.00) [3.67 (2.03)] | n/a | n/a | 100.0% [100.0%] | n/a | 1.90 (0.40) [1.87 (0.38)] |"));
  CHECK_THAT(md, Contains("95.0% [100.0%] | 12 / 7 |"));
  CHECK_THAT(md, Contains("| log_kvrh | val+test | 20 | 3.00 (1.00) [3.58 (2.39)]"));
  CHECK_THAT(md, Contains("95.0% [100.0%]"));
  o.format = TableFormat::Csv;
  CHECK(render_table2(s, o) == render_table2(s, o));
  CHECK_THAT(render_table2(s, o), Contains(",texts_source,texts_describer\n") && Contains(",12,7\n"));
}

namespace {
const RunMeta kMeta{"{}", "sha", "torch", "cpu", "", "ds"};
std::int64_t finished_run(ResultsStore& s, const RunKey& k, double pred, int epochs = 2) {
  auto id = s.begin_run(k, kMeta).id;
  std::vector<StoredEpoch> ep;
  for (int e = 1; e <= epochs; ++e) ep.push_back({e, 1.0 / e, 0.5 / e, 1e-3, 1.0});
  s.finish_run(id, {{"test", "a", 1.0, pred}, {"test", "b", 2.0, 2.0}}, ep, kMeta);
  return id;
}
double test_mae(const ResultsStore& s, std::int64_t run) {
  for (const auto& [k, v] : s.metrics(run, "test"))
    if (k == "mae") return v;
  return -1;
}
}  // namespace

TEST_CASE("a second dataset under the same model, task and seed is another run; the first is untouched") {
  ResultsStore s(temp_db("identity"));
  const RunKey first{"manual", "cogn", "band_gap", "demo", 0, "aaaa", ""};
  RunKey second = first;
  second.dataset = "bbbb";
  const auto a = finished_run(s, first, 1.5);
  const auto b = finished_run(s, second, 1.1);
  CHECK(a != b);
  CHECK(s.runs().size() == 2);
  CHECK(test_mae(s, a) == Approx(0.25));
  CHECK(test_mae(s, b) == Approx(0.05));
  // Another text encoder is another run too.
  RunKey third = first;
  third.text_encoder = "lm@1234";
  CHECK(s.begin_run(third, kMeta).id != a);
  CHECK(s.find_runs("manual", "cogn", "band_gap", "demo", 0).size() == 3);
}

TEST_CASE("a restarted attempt carries no epochs of the earlier one; a redo replaces them whole") {
  ResultsStore s(temp_db("stale"));
  const RunKey k{"manual", "cogn", "log_kvrh", "demo", 0, "d", ""};
  auto id = s.begin_run(k, kMeta).id;
  for (int e = 1; e <= 5; ++e) s.add_epoch(id, {e, 1.0, 1.0, 1e-3, 1.0});
  s.fail_run(id, "killed");
  // The next attempt starts over (no checkpoint): its history is empty, then two epochs.
  CHECK_FALSE(s.begin_run(k, kMeta).was_done);
  s.reset_epochs(id, {});
  s.add_epoch(id, {1, 0.9, 0.8, 1e-3, 1.0});
  s.add_epoch(id, {2, 0.7, 0.6, 1e-3, 1.0});
  CHECK(s.epochs(id).size() == 2);
  s.finish_run(id, {{"test", "a", 1.0, 1.2}}, {{1, 0.9, 0.8, 1e-3, 1.0}, {2, 0.7, 0.6, 1e-3, 1.0}}, kMeta);
  // A redo of the finished run: nothing changes until it finishes, then everything at once.
  auto again = s.begin_run(k, kMeta);
  CHECK(again.was_done);
  CHECK(again.id == id);
  s.add_epoch(id, {1, 5.0, 5.0, 1e-3, 1.0});  // ignored: the finished run keeps its epochs
  s.reset_epochs(id, {});
  CHECK(s.epochs(id).size() == 2);
  CHECK(s.epochs(id)[0].train_loss == Approx(0.9));
  s.finish_run(id, {{"test", "a", 1.0, 1.0}}, {{1, 0.3, 0.2, 1e-3, 1.0}}, kMeta);
  CHECK(s.epochs(id).size() == 1);
  CHECK(test_mae(s, id) == Approx(0.0));
}

TEST_CASE("a refused or failed rerun never changes a finished run") {
  ResultsStore s(temp_db("refused"));
  const RunKey k{"table1", "cogn", "log_kvrh", "demo", 0, "d", ""};
  const auto id = finished_run(s, k, 1.5);
  CHECK_FALSE(s.fail_run(s.begin_run(k, kMeta).id, "checkpoint was written with another configuration"));
  auto r = s.find_run(k);
  REQUIRE(r);
  CHECK(r->status == "done");
  CHECK(test_mae(s, id) == Approx(0.25));
  CHECK(s.epochs(id).size() == 2);
}

TEST_CASE("per-step stores merge into one: idempotent, the same tables as one shared store, conflicts refused") {
  const std::string shared = temp_db("merge-shared"), into = temp_db("merge-into");
  const std::string a = temp_db("merge-a"), b = temp_db("merge-b"), c = temp_db("merge-c");
  const RunKey k0{"table1", "cogn", "log_kvrh", "demo", 0, "d", ""};
  RunKey k1 = k0;
  k1.seed = 1;
  {
    ResultsStore sh(shared);
    finished_run(sh, k0, 1.5);
    finished_run(sh, k1, 1.2);
    sh.record_split("log_kvrh", {{"a", "test"}, {"b", "test"}});
    ResultsStore sa(a, Journal::Delete), sb(b, Journal::Delete);
    finished_run(sa, k0, 1.5);
    sa.record_split("log_kvrh", {{"a", "test"}, {"b", "test"}});
    finished_run(sb, k1, 1.2);
    sb.put_histogram({"fig3", "demo", "cast", "log_kvrh", ""}, {{0, 0.0, 1.0, 3}});
    ResultsStore sc(c, Journal::Delete);
    finished_run(sc, k0, 1.9);  // the same run with other predictions
  }
  ResultsStore m(into);
  auto r1 = m.merge(a);
  auto r2 = m.merge(b);
  CHECK(r1.runs_added + r2.runs_added == 2);
  auto again = m.merge(a);
  CHECK(again.runs_added == 0);
  CHECK(again.runs_same == 1);
  CHECK(m.runs().size() == 2);
  CHECK(m.histograms("fig3", "demo").size() == 1);
  Table1Options o;
  o.paper_csv = std::string(CAST_TEST_DIR) + "/../results/paper_table1.csv";
  o.format = TableFormat::Csv;
  CHECK(render_table1(m, o) == render_table1(ResultsStore(shared), o));
  CHECK_THROWS_WITH(m.merge(c), Contains(a) && Contains(c) && Contains("different predictions"));
  CHECK(m.runs().size() == 2);
  CHECK_THROWS_WITH(m.merge("/nonexistent/x.db"), Contains("/nonexistent/x.db"));
}

TEST_CASE("a schema-1 store is migrated in place: its runs kept, their epochs still attached") {
  const std::string path = temp_db("v1");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  const char* v1 = R"(PRAGMA application_id=1128354644;
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE runs(id INTEGER PRIMARY KEY, experiment TEXT NOT NULL, model TEXT NOT NULL, task TEXT NOT NULL,
  seed INTEGER NOT NULL, profile TEXT NOT NULL, status TEXT NOT NULL, config TEXT, git_sha TEXT,
  versions TEXT, device TEXT, text_encoder TEXT, started REAL, finished REAL, error TEXT,
  UNIQUE(experiment, model, task, seed, profile));
CREATE TABLE epochs(run_id INTEGER NOT NULL REFERENCES runs(id), epoch INTEGER NOT NULL, train_loss REAL, val_mae REAL,
  lr REAL, seconds REAL, PRIMARY KEY(run_id, epoch));
INSERT INTO meta VALUES('schema_version', '1');
INSERT INTO runs VALUES(7, 'table1', 'cogn', 'log_kvrh', 0, 'demo', 'done', '{}', 'x', 'y', 'cpu', '', 1, 2, NULL);
INSERT INTO epochs VALUES(7, 1, 0.5, 0.4, 0.001, 3);)";
  REQUIRE(sqlite3_exec(db, v1, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  ResultsStore s(path);
  auto runs = s.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].id == 7);
  CHECK(runs[0].key.dataset.empty());
  REQUIRE(s.epochs(7).size() == 1);
  CHECK(s.epochs(7)[0].seconds == 3);
  CHECK(s.epochs(7)[0].data_wait == 0);  // 1 -> 2 -> 3: the epochs table gained data_wait (NULL, read as 0)
  {
    sqlite3* raw = nullptr;
    sqlite3_open(path.c_str(), &raw);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(raw, "SELECT value FROM meta WHERE key='schema_version'", -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "3");
    sqlite3_finalize(st);
    sqlite3_close(raw);
  }
  // Foreign keys still point at runs: a new run's epoch is accepted.
  auto id = s.begin_run({"table1", "cogn", "log_kvrh", "demo", 0, "new", ""}, kMeta).id;
  CHECK_NOTHROW(s.add_epoch(id, {1, 0.1, 0.1, 0.1, 0.1}));
  CHECK_THROWS(s.add_epoch(999, {1, 0.1, 0.1, 0.1, 0.1}));
}

TEST_CASE("step times: recorded by the executor, read back oldest first, kept by a reopened store") {
  const std::string path = temp_db("steptimes");
  {
    ResultsStore st(path);
    st.add_step_time({"train:cogn", "cpu", "demo", 1200, 9.5, "host-a"});
    st.add_step_time({"lm-pretrain", "cuda", "paper", 1e6, 3600, "host-b"});
  }
  ResultsStore st(path);
  const auto t = st.step_times();
  REQUIRE(t.size() == 2);
  CHECK(t[0].cls == "train:cogn");
  CHECK(t[0].units == 1200);
  CHECK(t[0].seconds == 9.5);
  CHECK(t[1].device == "cuda");
  CHECK(t[1].profile == "paper");
  CHECK(t[1].host == "host-b");
}
