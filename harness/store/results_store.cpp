#include "store/results_store.hpp"

#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <map>

#include "common/error.hpp"

namespace cast {

namespace {
constexpr int kApplicationId = 0x43415354;  // "CAST"

double now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const std::string& sql, const std::string& path) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
      fail(path, ": SQL error: ", sqlite3_errmsg(db), " in: ", sql);
  }
  ~Stmt() { sqlite3_finalize(s); }
  Stmt& bind(int i, const std::string& v) { sqlite3_bind_text(s, i, v.c_str(), -1, SQLITE_TRANSIENT); return *this; }
  Stmt& bind(int i, double v) { sqlite3_bind_double(s, i, v); return *this; }
  Stmt& bind(int i, std::int64_t v) { sqlite3_bind_int64(s, i, v); return *this; }
  Stmt& bind(int i, int v) { sqlite3_bind_int(s, i, v); return *this; }
  bool step(sqlite3* db, const std::string& path) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(path, ": database error: ", sqlite3_errmsg(db));
  }
  std::string text(int c) const {
    auto* t = sqlite3_column_text(s, c);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  double real(int c) const { return sqlite3_column_double(s, c); }
  std::int64_t integer(int c) const { return sqlite3_column_int64(s, c); }
};

struct Transaction {
  const ResultsStore* store;
  sqlite3* db;
  const std::string& path;
  bool done = false;
  Transaction(sqlite3* d, const std::string& p) : store(nullptr), db(d), path(p) {
    char* err = nullptr;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "?";
      sqlite3_free(err);
      fail(path, ": cannot start a transaction (", m, ")");
    }
  }
  void commit() {
    char* err = nullptr;
    if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "?";
      sqlite3_free(err);
      fail(path, ": commit failed (", m, ")");
    }
    done = true;
  }
  ~Transaction() {
    if (!done) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
};
}  // namespace

ResultsStore::ResultsStore(const std::string& path) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    std::string m = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    fail(path, ": cannot open the results database (", m, ")");
  }
  sqlite3_busy_timeout(db_, 60000);
  // Refuse anything that is not an empty database or a cast store.
  int app = 0, tables = 0;
  try {
    Stmt a(db_, "PRAGMA application_id", path_);
    if (a.step(db_, path_)) app = static_cast<int>(a.integer(0));
    Stmt t(db_, "SELECT count(*) FROM sqlite_master", path_);
    if (t.step(db_, path_)) tables = static_cast<int>(t.integer(0));
  } catch (const InputError&) {
    sqlite3_close(db_);
    db_ = nullptr;
    fail(path, ": not a SQLite database (corrupted, or another kind of file); move it away or pass another --db");
  }
  if (tables > 0 && app != kApplicationId) {
    sqlite3_close(db_);
    db_ = nullptr;
    fail(path, ": a SQLite database of another application, not a cast results store; pass another --db");
  }
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");
  if (tables == 0) {
    exec("PRAGMA application_id=" + std::to_string(kApplicationId));
  }
  exec(R"(CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY, experiment TEXT NOT NULL, model TEXT NOT NULL, task TEXT NOT NULL,
  seed INTEGER NOT NULL, profile TEXT NOT NULL, status TEXT NOT NULL, config TEXT, git_sha TEXT,
  versions TEXT, device TEXT, text_encoder TEXT, started REAL, finished REAL, error TEXT,
  UNIQUE(experiment, model, task, seed, profile));
CREATE TABLE IF NOT EXISTS epochs(
  run_id INTEGER NOT NULL REFERENCES runs(id), epoch INTEGER NOT NULL, train_loss REAL, val_mae REAL,
  lr REAL, seconds REAL, PRIMARY KEY(run_id, epoch));
CREATE TABLE IF NOT EXISTS predictions(
  run_id INTEGER NOT NULL REFERENCES runs(id), split TEXT NOT NULL, sample_id TEXT NOT NULL,
  y_true REAL, y_pred REAL, PRIMARY KEY(run_id, split, sample_id));
CREATE TABLE IF NOT EXISTS metrics(
  run_id INTEGER NOT NULL REFERENCES runs(id), split TEXT NOT NULL, name TEXT NOT NULL, value REAL,
  PRIMARY KEY(run_id, split, name));
CREATE TABLE IF NOT EXISTS splits(task TEXT NOT NULL, sample_id TEXT NOT NULL, split TEXT NOT NULL,
  PRIMARY KEY(task, sample_id));
CREATE TABLE IF NOT EXISTS attention_maps(figure TEXT NOT NULL, profile TEXT NOT NULL, model TEXT NOT NULL,
  task TEXT NOT NULL, sample_id TEXT NOT NULL, layer INTEGER NOT NULL, node INTEGER NOT NULL, node_label TEXT,
  token_index INTEGER NOT NULL, token TEXT, weight REAL,
  PRIMARY KEY(figure, profile, model, task, sample_id, layer, node, token_index));
CREATE TABLE IF NOT EXISTS histograms(figure TEXT NOT NULL, profile TEXT NOT NULL, model TEXT NOT NULL,
  task TEXT NOT NULL, layer INTEGER NOT NULL, lo REAL NOT NULL, hi REAL, count REAL,
  PRIMARY KEY(figure, profile, model, task, layer, lo));
CREATE TABLE IF NOT EXISTS dataset_stats(profile TEXT NOT NULL, task TEXT NOT NULL, source TEXT, split TEXT NOT NULL,
  name TEXT NOT NULL, value REAL, PRIMARY KEY(profile, task, split, name));
INSERT OR IGNORE INTO meta VALUES('schema_version', '1');)");
  Stmt v(db_, "SELECT value FROM meta WHERE key='schema_version'", path_);
  if (v.step(db_, path_) && v.text(0) != std::to_string(kSchemaVersion))
    fail(path, ": results store schema ", v.text(0), ", this cast reads ", kSchemaVersion);
}

ResultsStore::~ResultsStore() {
  if (db_) sqlite3_close(db_);
}

void ResultsStore::exec(const std::string& sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "?";
    sqlite3_free(err);
    fail(path_, ": database error: ", m);
  }
}

std::optional<RunInfo> ResultsStore::find_run(const RunKey& k) const {
  Stmt q(db_, "SELECT id FROM runs WHERE experiment=? AND model=? AND task=? AND seed=? AND profile=?", path_);
  q.bind(1, k.experiment).bind(2, k.model).bind(3, k.task).bind(4, static_cast<std::int64_t>(k.seed)).bind(5, k.profile);
  if (!q.step(db_, path_)) return std::nullopt;
  auto v = runs("id=" + std::to_string(q.integer(0)));
  if (v.empty()) return std::nullopt;
  return v.front();
}

std::int64_t ResultsStore::begin_run(const RunKey& k, const std::string& config, const std::string& git_sha,
                                     const std::string& versions, const std::string& device, const std::string& text_encoder) {
  Transaction t(db_, path_);
  Stmt s(db_, "INSERT INTO runs(experiment, model, task, seed, profile, status, config, git_sha, versions, device, "
              "text_encoder, started) VALUES(?,?,?,?,?,'running',?,?,?,?,?,?) "
              "ON CONFLICT(experiment, model, task, seed, profile) DO UPDATE SET "
              "status=CASE WHEN status='done' THEN 'done' ELSE 'running' END, config=excluded.config, "
              "git_sha=excluded.git_sha, versions=excluded.versions, device=excluded.device",
         path_);
  s.bind(1, k.experiment).bind(2, k.model).bind(3, k.task).bind(4, static_cast<std::int64_t>(k.seed)).bind(5, k.profile)
      .bind(6, config).bind(7, git_sha).bind(8, versions).bind(9, device).bind(10, text_encoder).bind(11, now_s());
  s.step(db_, path_);
  Stmt q(db_, "SELECT id FROM runs WHERE experiment=? AND model=? AND task=? AND seed=? AND profile=?", path_);
  q.bind(1, k.experiment).bind(2, k.model).bind(3, k.task).bind(4, static_cast<std::int64_t>(k.seed)).bind(5, k.profile);
  q.step(db_, path_);
  const std::int64_t id = q.integer(0);
  t.commit();
  return id;
}

void ResultsStore::add_epoch(std::int64_t run, const StoredEpoch& e) {
  Transaction t(db_, path_);
  Stmt s(db_, "INSERT OR REPLACE INTO epochs VALUES(?,?,?,?,?,?)", path_);
  s.bind(1, run).bind(2, e.epoch).bind(3, e.train_loss).bind(4, e.val_mae).bind(5, e.lr).bind(6, e.seconds);
  s.step(db_, path_);
  t.commit();
}

void ResultsStore::finish_run(std::int64_t run, const std::vector<StoredPrediction>& preds) {
  Transaction t(db_, path_);
  {
    Stmt del(db_, "DELETE FROM predictions WHERE run_id=?", path_);
    del.bind(1, run).step(db_, path_);
    Stmt delm(db_, "DELETE FROM metrics WHERE run_id=?", path_);
    delm.bind(1, run).step(db_, path_);
  }
  Stmt ins(db_, "INSERT INTO predictions VALUES(?,?,?,?,?)", path_);
  std::map<std::string, std::vector<const StoredPrediction*>> by_split;
  for (const auto& p : preds) {
    sqlite3_reset(ins.s);
    ins.bind(1, run).bind(2, p.split).bind(3, p.sample_id).bind(4, p.y_true).bind(5, p.y_pred);
    ins.step(db_, path_);
    by_split[p.split].push_back(&p);
  }
  // Metrics are always recomputed from the stored predictions.
  Stmt m(db_, "INSERT INTO metrics VALUES(?,?,?,?)", path_);
  for (const auto& [split, v] : by_split) {
    double mae = 0, mse = 0, mean = 0;
    for (auto* p : v) {
      mae += std::fabs(p->y_pred - p->y_true);
      mse += (p->y_pred - p->y_true) * (p->y_pred - p->y_true);
      mean += p->y_true;
    }
    const double n = static_cast<double>(v.size());
    mean /= n;
    double ss = 0;
    for (auto* p : v) ss += (p->y_true - mean) * (p->y_true - mean);
    for (const auto& [name, value] : std::vector<std::pair<std::string, double>>{
             {"mae", mae / n}, {"rmse", std::sqrt(mse / n)}, {"r2", ss > 0 ? 1 - mse / ss : 0.0}, {"n", n}}) {
      sqlite3_reset(m.s);
      m.bind(1, run).bind(2, split).bind(3, name).bind(4, value);
      m.step(db_, path_);
    }
  }
  Stmt u(db_, "UPDATE runs SET status='done', finished=?, error=NULL WHERE id=?", path_);
  u.bind(1, now_s()).bind(2, run).step(db_, path_);
  t.commit();
}

void ResultsStore::fail_run(std::int64_t run, const std::string& reason) {
  Transaction t(db_, path_);
  Stmt u(db_, "UPDATE runs SET status='failed', finished=?, error=? WHERE id=?", path_);
  u.bind(1, now_s()).bind(2, reason).bind(3, run).step(db_, path_);
  t.commit();
}

void ResultsStore::record_split(const std::string& task, const std::vector<std::pair<std::string, std::string>>& v) {
  Transaction t(db_, path_);
  Stmt s(db_, "INSERT OR IGNORE INTO splits VALUES(?,?,?)", path_);
  Stmt check(db_, "SELECT split FROM splits WHERE task=? AND sample_id=?", path_);
  for (const auto& [id, split] : v) {
    sqlite3_reset(check.s);
    check.bind(1, task).bind(2, id);
    if (check.step(db_, path_) && check.text(0) != split)
      fail(path_, ": entry '", id, "' of task '", task, "' is recorded in split '", check.text(0), "', now '", split,
           "': the split must stay frozen (same --split-seed?)");
    sqlite3_reset(s.s);
    s.bind(1, task).bind(2, id).bind(3, split);
    s.step(db_, path_);
  }
  t.commit();
}

std::vector<RunInfo> ResultsStore::runs(const std::string& where) const {
  Stmt s(db_, "SELECT id, experiment, model, task, seed, profile, status, config, git_sha, versions, device, "
              "text_encoder, started, finished FROM runs" + (where.empty() ? "" : " WHERE " + where) + " ORDER BY id",
         path_);
  std::vector<RunInfo> out;
  while (s.step(db_, path_)) {
    RunInfo r;
    r.id = s.integer(0);
    r.key = {s.text(1), s.text(2), s.text(3), s.text(5), static_cast<std::uint64_t>(s.integer(4))};
    r.status = s.text(6);
    r.config = s.text(7);
    r.git_sha = s.text(8);
    r.versions = s.text(9);
    r.device = s.text(10);
    r.text_encoder = s.text(11);
    r.started = s.real(12);
    r.finished = s.real(13);
    out.push_back(r);
  }
  return out;
}

std::vector<StoredEpoch> ResultsStore::epochs(std::int64_t run) const {
  Stmt s(db_, "SELECT epoch, train_loss, val_mae, lr, seconds FROM epochs WHERE run_id=? ORDER BY epoch", path_);
  s.bind(1, run);
  std::vector<StoredEpoch> out;
  while (s.step(db_, path_)) out.push_back({static_cast<int>(s.integer(0)), s.real(1), s.real(2), s.real(3), s.real(4)});
  return out;
}

std::vector<StoredPrediction> ResultsStore::predictions(std::int64_t run, const std::string& split) const {
  Stmt s(db_, "SELECT split, sample_id, y_true, y_pred FROM predictions WHERE run_id=?" +
                  std::string(split.empty() ? "" : " AND split=?") + " ORDER BY split, sample_id",
         path_);
  s.bind(1, run);
  if (!split.empty()) s.bind(2, split);
  std::vector<StoredPrediction> out;
  while (s.step(db_, path_)) out.push_back({s.text(0), s.text(1), s.real(2), s.real(3)});
  return out;
}

std::vector<std::pair<std::string, double>> ResultsStore::metrics(std::int64_t run, const std::string& split) const {
  Stmt s(db_, "SELECT name, value FROM metrics WHERE run_id=? AND split=? ORDER BY name", path_);
  s.bind(1, run).bind(2, split);
  std::vector<std::pair<std::string, double>> out;
  while (s.step(db_, path_)) out.push_back({s.text(0), s.real(1)});
  return out;
}

void ResultsStore::put_attention(const FigureKey& k, const std::vector<AttentionCell>& cells) {
  Transaction t(db_, path_);
  Stmt del(db_, "DELETE FROM attention_maps WHERE figure=? AND profile=? AND model=? AND task=? AND sample_id=?", path_);
  del.bind(1, k.figure).bind(2, k.profile).bind(3, k.model).bind(4, k.task).bind(5, k.sample_id).step(db_, path_);
  Stmt ins(db_, "INSERT INTO attention_maps VALUES(?,?,?,?,?,?,?,?,?,?,?)", path_);
  for (const auto& c : cells) {
    sqlite3_reset(ins.s);
    ins.bind(1, k.figure).bind(2, k.profile).bind(3, k.model).bind(4, k.task).bind(5, k.sample_id).bind(6, c.layer)
        .bind(7, c.node).bind(8, c.node_label).bind(9, c.token_index).bind(10, c.token).bind(11, c.weight);
    ins.step(db_, path_);
  }
  t.commit();
}

void ResultsStore::put_histogram(const FigureKey& k, const std::vector<HistogramBin>& bins) {
  Transaction t(db_, path_);
  Stmt del(db_, "DELETE FROM histograms WHERE figure=? AND profile=? AND model=? AND task=?", path_);
  del.bind(1, k.figure).bind(2, k.profile).bind(3, k.model).bind(4, k.task).step(db_, path_);
  Stmt ins(db_, "INSERT INTO histograms VALUES(?,?,?,?,?,?,?,?)", path_);
  for (const auto& b : bins) {
    sqlite3_reset(ins.s);
    ins.bind(1, k.figure).bind(2, k.profile).bind(3, k.model).bind(4, k.task).bind(5, b.layer).bind(6, b.lo)
        .bind(7, b.hi).bind(8, b.count);
    ins.step(db_, path_);
  }
  t.commit();
}

std::vector<std::pair<FigureKey, std::vector<AttentionCell>>> ResultsStore::attention_maps(
    const std::string& figure, const std::string& profile) const {
  Stmt s(db_, "SELECT model, task, sample_id, layer, node, node_label, token_index, token, weight FROM attention_maps "
              "WHERE figure=? AND profile=? ORDER BY model, task, sample_id, layer, node, token_index", path_);
  s.bind(1, figure).bind(2, profile);
  std::vector<std::pair<FigureKey, std::vector<AttentionCell>>> out;
  while (s.step(db_, path_)) {
    FigureKey k{figure, profile, s.text(0), s.text(1), s.text(2)};
    if (out.empty() || out.back().first.model != k.model || out.back().first.task != k.task ||
        out.back().first.sample_id != k.sample_id)
      out.push_back({k, {}});
    out.back().second.push_back({static_cast<int>(s.integer(3)), static_cast<int>(s.integer(4)), s.text(5),
                                 static_cast<int>(s.integer(6)), s.text(7), s.real(8)});
  }
  return out;
}

std::vector<std::pair<FigureKey, std::vector<HistogramBin>>> ResultsStore::histograms(const std::string& figure,
                                                                                     const std::string& profile) const {
  Stmt s(db_, "SELECT model, task, layer, lo, hi, count FROM histograms WHERE figure=? AND profile=? "
              "ORDER BY model, task, layer, lo", path_);
  s.bind(1, figure).bind(2, profile);
  std::vector<std::pair<FigureKey, std::vector<HistogramBin>>> out;
  while (s.step(db_, path_)) {
    FigureKey k{figure, profile, s.text(0), s.text(1), ""};
    if (out.empty() || out.back().first.model != k.model || out.back().first.task != k.task) out.push_back({k, {}});
    out.back().second.push_back({static_cast<int>(s.integer(2)), s.real(3), s.real(4), s.real(5)});
  }
  return out;
}

void ResultsStore::put_dataset_stats(const std::string& profile, const std::string& task, const std::string& source,
                                     const std::vector<DatasetStat>& stats) {
  Transaction t(db_, path_);
  Stmt del(db_, "DELETE FROM dataset_stats WHERE profile=? AND task=?", path_);
  del.bind(1, profile).bind(2, task).step(db_, path_);
  Stmt ins(db_, "INSERT INTO dataset_stats VALUES(?,?,?,?,?,?)", path_);
  for (const auto& st : stats) {
    sqlite3_reset(ins.s);
    ins.bind(1, profile).bind(2, task).bind(3, source).bind(4, st.split).bind(5, st.name).bind(6, st.value);
    ins.step(db_, path_);
  }
  t.commit();
}

std::vector<std::pair<std::string, std::pair<std::string, std::vector<DatasetStat>>>> ResultsStore::dataset_stats(
    const std::string& profile) const {
  Stmt s(db_, "SELECT task, source, split, name, value FROM dataset_stats WHERE profile=? ORDER BY task, split, name",
         path_);
  s.bind(1, profile);
  std::vector<std::pair<std::string, std::pair<std::string, std::vector<DatasetStat>>>> out;
  while (s.step(db_, path_)) {
    if (out.empty() || out.back().first != s.text(0)) out.push_back({s.text(0), {s.text(1), {}}});
    out.back().second.second.push_back({s.text(2), s.text(3), s.real(4)});
  }
  return out;
}

}  // namespace cast
