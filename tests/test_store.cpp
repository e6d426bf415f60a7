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
    RunKey k{"table1", "cogn", "log_kvrh", "demo", 1};
    auto id = s.begin_run(k, "{}", "abc123", "torch 1.13", "cpu", "");
    CHECK(s.begin_run(k, "{}", "abc123", "torch 1.13", "cpu", "") == id);  // same key, same run
    s.add_epoch(id, {1, 0.5, 0.2, 1e-3, 2.0});
    s.add_epoch(id, {2, 0.4, 0.1, 5e-4, 2.0});
    s.finish_run(id, {{"test", "a", 1.0, 1.5}, {"test", "b", 2.0, 1.0}, {"val", "c", 0.0, 0.1}});
  }
  ResultsStore s(path);
  auto runs = s.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status == "done");
  CHECK(runs[0].git_sha == "abc123");
  CHECK(s.epochs(runs[0].id).size() == 2);
  std::map<std::string, double> m;
  for (auto& [k, v] : s.metrics(runs[0].id, "test")) m[k] = v;
  CHECK(m["mae"] == Approx(0.75));            // (0.5 + 1.0) / 2
  CHECK(m["rmse"] == Approx(std::sqrt((0.25 + 1.0) / 2)));
  CHECK(m["n"] == 2);
  CHECK(s.predictions(runs[0].id, "test").size() == 2);
  CHECK(s.find_run({"table1", "cogn", "log_kvrh", "demo", 1}).has_value());
  CHECK_FALSE(s.find_run({"table1", "cogn", "log_kvrh", "demo", 2}).has_value());
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
          auto id = s.begin_run({"t", "m" + std::to_string(k), "task", "demo", static_cast<std::uint64_t>(r)}, "{}", "", "", "cpu", "");
          s.add_epoch(id, {1, 0.1, 0.1, 0.1, 0.1});
          s.finish_run(id, {{"test", "x", 1.0, 2.0}});
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

TEST_CASE("Table 1 from the store: mean (std) over seeds, best bold, second underlined, paper beside") {
  const std::string path = temp_db("table1");
  ResultsStore s(path);
  // cast: test MAE 0.04, 0.05, 0.06 over three seeds; cogn: 0.10, 0.10, 0.10; bert: 0.2.
  auto add = [&](const std::string& model, std::uint64_t seed, double err) {
    auto id = s.begin_run({"table1", model, "log_kvrh", "demo", seed}, "{}", "", "", "cpu", model == "cogn" ? "" : "results/lm/demo");
    s.finish_run(id, {{"test", "a", 1.0, 1.0 + err}, {"test", "b", 2.0, 2.0 - err}});
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
                         {"val+test", "y_mean", 1.8}, {"val+test", "y_std", 0.3}, {"val+test", "text_rate", 0.95}});
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
  CHECK_THAT(md, Contains("| log_kvrh | train | 80 | 3.50 (2.00) [3.67 (2.03)] | n/a | n/a | 100.0% [100.0%] | 1.90 (0.40) [1.87 (0.38)] |"));
  CHECK_THAT(md, Contains("| log_kvrh | val+test | 20 | 3.00 (1.00) [3.58 (2.39)]"));
  CHECK_THAT(md, Contains("95.0% [100.0%]"));
  o.format = TableFormat::Csv;
  CHECK(render_table2(s, o) == render_table2(s, o));
}
