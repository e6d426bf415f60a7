#include "store/results_store.hpp"

#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <map>
#include <tuple>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/system.hpp"

namespace cast {

namespace {
constexpr int kApplicationId = 0x43415354;  // "CAST"
constexpr int kBusyTimeoutMs = 120000;

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

Journal parse_journal(const std::string& s) {
  if (s == "wal") return Journal::Wal;
  if (s == "delete") return Journal::Delete;
  fail("unknown store journal '", s, "'; valid: wal (many processes on one host), delete (one writer, shared filesystems)");
}

namespace {
const char* kRunsTable = R"(CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY, experiment TEXT NOT NULL, model TEXT NOT NULL, task TEXT NOT NULL,
  seed INTEGER NOT NULL, profile TEXT NOT NULL, dataset TEXT NOT NULL DEFAULT '', text_encoder_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL, config TEXT, git_sha TEXT, versions TEXT, device TEXT, text_encoder TEXT, dataset_desc TEXT,
  started REAL, finished REAL, error TEXT, origin TEXT,
  UNIQUE(experiment, model, task, seed, profile, dataset, text_encoder_id));)";
const char* kRunColumns = "id, experiment, model, task, seed, profile, dataset, text_encoder_id, status, config, git_sha, "
                          "versions, device, text_encoder, dataset_desc, started, finished, error, origin";
}  // namespace

ResultsStore::ResultsStore(const std::string& path, Journal journal) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    std::string m = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    fail(path, ": cannot open the results database (", m, ")");
  }
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  try {
    init(journal);
  } catch (...) {
    // The constructor does not finish, so the destructor will not close it.
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

void ResultsStore::init(Journal journal) {
  const std::string& path = path_;
  auto refuse = [&](const std::string& why) { fail(path, why); };
  // Refuse anything that is not an empty database or a cast store.
  auto read_header = [&](int& app, int& tables) {
    Stmt a(db_, "PRAGMA application_id", path_);
    if (a.step(db_, path_)) app = static_cast<int>(a.integer(0));
    Stmt t(db_, "SELECT count(*) FROM sqlite_master", path_);
    if (t.step(db_, path_)) tables = static_cast<int>(t.integer(0));
  };
  int app = 0, tables = 0;
  try {
    read_header(app, tables);
  } catch (const InputError&) {
    refuse(": not a SQLite database (corrupted, or another kind of file); move it away or pass another --db");
  }
  if (tables > 0 && app != kApplicationId)
    refuse(": a SQLite database of another application, not a cast results store; pass another --db");
  // The journal mode needs a moment of exclusive access, which SQLite does not wait for through
  // the busy handler: retried here until the busy timeout has run out.
  const std::string mode = journal == Journal::Wal ? "wal" : "delete";
  for (int waited = 0;; waited += 20) {
    std::string got;
    try {
      Stmt j(db_, "PRAGMA journal_mode=" + mode, path_);
      if (j.step(db_, path_)) got = j.text(0);
    } catch (const InputError&) {
      if (waited >= kBusyTimeoutMs) throw;
    }
    if (got == mode) break;
    if (waited >= kBusyTimeoutMs) refuse(": cannot set the journal mode to " + mode + " (the database stays busy)");
    sqlite3_sleep(20);
  }
  exec(journal == Journal::Wal ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
  // Creation and migration in one write transaction, so concurrent openers wait for each other
  // (BEGIN IMMEDIATE goes through the busy handler) and each sees the schema whole.
  exec("PRAGMA foreign_keys=OFF");
  {
    Transaction t(db_, path_);
    read_header(app, tables);
    if (tables > 0 && app != kApplicationId)
      refuse(": a SQLite database of another application, not a cast results store; pass another --db");
    if (tables == 0) exec("PRAGMA application_id=" + std::to_string(kApplicationId));
    exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);");
    std::string version;
    {
      Stmt v(db_, "SELECT value FROM meta WHERE key='schema_version'", path_);
      if (v.step(db_, path_)) version = v.text(0);
    }
    if (version == "1") {
      // Schema 1 keyed a run by five fields; its runs keep an empty dataset and encoder identity.
      // (The new table is renamed into place, so the other tables' references stay "runs".)
      std::string v2 = kRunsTable;
      v2.replace(v2.find("runs("), 4, "runs_v2");
      exec(v2);
      exec("INSERT INTO runs_v2(id, experiment, model, task, seed, profile, dataset, text_encoder_id, status, config, "
           "git_sha, versions, device, text_encoder, started, finished, error) SELECT id, experiment, model, task, seed, "
           "profile, '', '', status, config, git_sha, versions, device, text_encoder, started, finished, error FROM runs");
      exec("DROP TABLE runs");
      exec("ALTER TABLE runs_v2 RENAME TO runs");
      exec("UPDATE meta SET value='2' WHERE key='schema_version'");
      version = "2";
    }
    if (version == "2") {
      // Schema 2 had no seconds waiting for data per epoch; its epochs keep NULL there.
      exec("ALTER TABLE epochs ADD COLUMN data_wait REAL");
      exec("UPDATE meta SET value='3' WHERE key='schema_version'");
      version = "3";
    } else if (!version.empty() && version != std::to_string(kSchemaVersion)) {
      refuse(": results store schema " + version + ", this cast reads " + std::to_string(kSchemaVersion) +
             " (a newer cast wrote it)");
    }
    exec(std::string(kRunsTable) + R"(
CREATE TABLE IF NOT EXISTS epochs(
  run_id INTEGER NOT NULL REFERENCES runs(id), epoch INTEGER NOT NULL, train_loss REAL, val_mae REAL,
  lr REAL, seconds REAL, data_wait REAL, PRIMARY KEY(run_id, epoch));
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
CREATE TABLE IF NOT EXISTS step_times(class TEXT NOT NULL, device TEXT NOT NULL, profile TEXT NOT NULL,
  units REAL, seconds REAL, host TEXT, finished REAL);
INSERT OR IGNORE INTO meta VALUES('schema_version', '3');)");
    t.commit();
  }
  exec("PRAGMA foreign_keys=ON");
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

namespace {
const char* kKeyWhere = "experiment=? AND model=? AND task=? AND seed=? AND profile=? AND dataset=? AND text_encoder_id=?";
void bind_key(Stmt& q, const RunKey& k, int first = 1) {
  q.bind(first, k.experiment).bind(first + 1, k.model).bind(first + 2, k.task)
      .bind(first + 3, static_cast<std::int64_t>(k.seed)).bind(first + 4, k.profile).bind(first + 5, k.dataset)
      .bind(first + 6, k.text_encoder);
}
RunInfo run_from(const Stmt& s) {
  RunInfo r;
  r.id = s.integer(0);
  r.key = {s.text(1), s.text(2), s.text(3), s.text(5), static_cast<std::uint64_t>(s.integer(4)), s.text(6), s.text(7)};
  r.status = s.text(8);
  r.config = s.text(9);
  r.git_sha = s.text(10);
  r.versions = s.text(11);
  r.device = s.text(12);
  r.text_encoder = s.text(13);
  r.dataset_desc = s.text(14);
  r.started = s.real(15);
  r.finished = s.real(16);
  r.error = s.text(17);
  r.origin = s.text(18);
  return r;
}
}  // namespace

std::optional<RunInfo> ResultsStore::find_run(const RunKey& k) const {
  Stmt q(db_, std::string("SELECT ") + kRunColumns + " FROM runs WHERE " + kKeyWhere, path_);
  bind_key(q, k);
  if (!q.step(db_, path_)) return std::nullopt;
  return run_from(q);
}

std::vector<RunInfo> ResultsStore::find_runs(const std::string& experiment, const std::string& model,
                                             const std::string& task, const std::string& profile,
                                             std::uint64_t seed) const {
  Stmt q(db_, std::string("SELECT ") + kRunColumns +
                  " FROM runs WHERE experiment=? AND model=? AND task=? AND seed=? AND profile=? "
                  "ORDER BY coalesce(finished, started) DESC, id DESC",
         path_);
  q.bind(1, experiment).bind(2, model).bind(3, task).bind(4, static_cast<std::int64_t>(seed)).bind(5, profile);
  std::vector<RunInfo> out;
  while (q.step(db_, path_)) out.push_back(run_from(q));
  return out;
}

RunAttempt ResultsStore::begin_run(const RunKey& k, const RunMeta& m) {
  Transaction t(db_, path_);
  RunAttempt a;
  {
    Stmt q(db_, std::string("SELECT id, status FROM runs WHERE ") + kKeyWhere, path_);
    bind_key(q, k);
    if (q.step(db_, path_)) {
      a.id = q.integer(0);
      a.was_done = q.text(1) == "done";
    }
  }
  if (a.id == 0) {
    Stmt s(db_, "INSERT INTO runs(experiment, model, task, seed, profile, dataset, text_encoder_id, status, config, "
                "git_sha, versions, device, text_encoder, dataset_desc, started) "
                "VALUES(?,?,?,?,?,?,?,'running',?,?,?,?,?,?,?)",
           path_);
    bind_key(s, k);
    s.bind(8, m.config).bind(9, m.git_sha).bind(10, m.versions).bind(11, m.device).bind(12, m.text_encoder_path)
        .bind(13, m.dataset_desc).bind(14, wall_seconds());
    s.step(db_, path_);
    a.id = sqlite3_last_insert_rowid(db_);
  } else if (!a.was_done) {
    Stmt s(db_, "UPDATE runs SET status='running', config=?, git_sha=?, versions=?, device=?, text_encoder=?, "
                "dataset_desc=?, error=NULL WHERE id=?",
           path_);
    s.bind(1, m.config).bind(2, m.git_sha).bind(3, m.versions).bind(4, m.device).bind(5, m.text_encoder_path)
        .bind(6, m.dataset_desc).bind(7, a.id);
    s.step(db_, path_);
  }
  t.commit();
  return a;
}

namespace {
bool run_is_done(sqlite3* db, const std::string& path, std::int64_t run) {
  Stmt q(db, "SELECT status FROM runs WHERE id=?", path);
  q.bind(1, run);
  if (!q.step(db, path)) fail(path, ": no run ", run);
  return q.text(0) == "done";
}
void insert_epochs(sqlite3* db, const std::string& path, std::int64_t run, const std::vector<StoredEpoch>& v) {
  Stmt s(db, "INSERT OR REPLACE INTO epochs VALUES(?,?,?,?,?,?,?)", path);
  for (const auto& e : v) {
    sqlite3_reset(s.s);
    s.bind(1, run).bind(2, e.epoch).bind(3, e.train_loss).bind(4, e.val_mae).bind(5, e.lr).bind(6, e.seconds)
        .bind(7, e.data_wait);
    s.step(db, path);
  }
}
}  // namespace

void ResultsStore::add_epoch(std::int64_t run, const StoredEpoch& e) {
  Transaction t(db_, path_);
  if (run_is_done(db_, path_, run)) return;  // a redo of a finished run: finish_run replaces its epochs
  insert_epochs(db_, path_, run, {e});
  t.commit();
}

void ResultsStore::reset_epochs(std::int64_t run, const std::vector<StoredEpoch>& history) {
  Transaction t(db_, path_);
  if (run_is_done(db_, path_, run)) return;
  Stmt del(db_, "DELETE FROM epochs WHERE run_id=?", path_);
  del.bind(1, run).step(db_, path_);
  insert_epochs(db_, path_, run, history);
  t.commit();
}

void ResultsStore::finish_run(std::int64_t run, const std::vector<StoredPrediction>& preds,
                              const std::vector<StoredEpoch>& epochs, const RunMeta& meta) {
  Transaction t(db_, path_);
  for (const char* table : {"predictions", "metrics", "epochs"}) {
    Stmt del(db_, std::string("DELETE FROM ") + table + " WHERE run_id=?", path_);
    del.bind(1, run).step(db_, path_);
  }
  insert_epochs(db_, path_, run, epochs);
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
  Stmt u(db_, "UPDATE runs SET status='done', finished=?, error=NULL, config=?, git_sha=?, versions=?, device=?, "
              "text_encoder=?, dataset_desc=? WHERE id=?",
         path_);
  u.bind(1, wall_seconds()).bind(2, meta.config).bind(3, meta.git_sha).bind(4, meta.versions).bind(5, meta.device)
      .bind(6, meta.text_encoder_path).bind(7, meta.dataset_desc).bind(8, run).step(db_, path_);
  t.commit();
}

bool ResultsStore::fail_run(std::int64_t run, const std::string& reason) {
  Transaction t(db_, path_);
  Stmt u(db_, "UPDATE runs SET status='failed', finished=?, error=? WHERE id=? AND status!='done'", path_);
  u.bind(1, wall_seconds()).bind(2, reason).bind(3, run).step(db_, path_);
  const bool changed = sqlite3_changes(db_) > 0;
  t.commit();
  return changed;
}

MergeReport ResultsStore::merge(const std::string& other) {
  if (!file_exists(other)) fail(other, ": no such store to merge");
  {
    // Checked as a store of this schema (opened the way it was written, so its journal stays).
    sqlite3* o = nullptr;
    const bool opened = sqlite3_open_v2(other.c_str(), &o, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK;
    int app = 0;
    std::string version;
    if (opened) {
      sqlite3_busy_timeout(o, kBusyTimeoutMs);
      try {
        Stmt a(o, "PRAGMA application_id", other);
        if (a.step(o, other)) app = static_cast<int>(a.integer(0));
        Stmt v(o, "SELECT value FROM meta WHERE key='schema_version'", other);
        if (v.step(o, other)) version = v.text(0);
      } catch (const InputError&) {
        app = 0;
      }
    }
    sqlite3_close(o);
    if (app != kApplicationId) fail(other, ": not a cast results store; nothing merged");
    if (version != std::to_string(kSchemaVersion))
      fail(other, ": results store schema ", version, ", this cast merges schema ", kSchemaVersion,
           " (open it once with this cast, e.g. 'cast results --db ", other, " list', to migrate it)");
  }
  {
    Stmt at(db_, "ATTACH DATABASE ? AS src", path_);
    at.bind(1, other);
    at.step(db_, path_);
  }
  struct Detach {
    const ResultsStore* s;
    ~Detach() { try { s->exec("DETACH DATABASE src"); } catch (...) {} }
  } detach{this};
  MergeReport rep;
  Transaction t(db_, path_);
  auto preds_of = [&](const char* schema, std::int64_t run) {
    Stmt q(db_, std::string("SELECT split, sample_id, y_true, y_pred FROM ") + schema +
                    ".predictions WHERE run_id=? ORDER BY split, sample_id", path_);
    q.bind(1, run);
    std::vector<std::tuple<std::string, std::string, double, double>> v;
    while (q.step(db_, path_)) v.emplace_back(q.text(0), q.text(1), q.real(2), q.real(3));
    return v;
  };
  auto copy_children = [&](std::int64_t from, std::int64_t to) {
    for (const char* table : {"epochs", "predictions", "metrics"}) {
      Stmt del(db_, std::string("DELETE FROM main.") + table + " WHERE run_id=?", path_);
      del.bind(1, to).step(db_, path_);
    }
    Stmt e(db_, "INSERT INTO main.epochs SELECT ?, epoch, train_loss, val_mae, lr, seconds, data_wait FROM src.epochs WHERE run_id=?", path_);
    e.bind(1, to).bind(2, from).step(db_, path_);
    Stmt p(db_, "INSERT INTO main.predictions SELECT ?, split, sample_id, y_true, y_pred FROM src.predictions WHERE run_id=?", path_);
    p.bind(1, to).bind(2, from).step(db_, path_);
    Stmt m(db_, "INSERT INTO main.metrics SELECT ?, split, name, value FROM src.metrics WHERE run_id=?", path_);
    m.bind(1, to).bind(2, from).step(db_, path_);
  };
  std::vector<RunInfo> incoming;
  {
    Stmt q(db_, std::string("SELECT ") + kRunColumns + " FROM src.runs ORDER BY id", path_);
    while (q.step(db_, path_)) incoming.push_back(run_from(q));
  }
  for (const auto& r : incoming) {
    auto mine = find_run(r.key);
    if (r.status != "done" && r.status != "failed") { ++rep.runs_skipped; continue; }  // still running there
    if (mine && mine->status == "done") {
      if (r.status != "done") { ++rep.runs_skipped; continue; }
      if (preds_of("main", mine->id) != preds_of("src", r.id))
        fail("run ", r.key.model, " ", r.key.task, " seed ", r.key.seed, " (experiment ", r.key.experiment, ", profile ",
             r.key.profile, ", dataset ", r.key.dataset, ") is in both ", mine->origin.empty() ? path_ : mine->origin,
             " and ", other, " with different predictions; nothing merged (remove one of them, or merge into another --into)");
      ++rep.runs_same;
      continue;
    }
    if (mine && r.status == "failed") { ++rep.runs_skipped; continue; }  // never replaces a run already here
    const std::string origin = r.origin.empty() ? other : r.origin;
    std::int64_t id = 0;
    if (mine) {
      Stmt u(db_, "UPDATE runs SET status=?, config=?, git_sha=?, versions=?, device=?, text_encoder=?, dataset_desc=?, "
                  "started=?, finished=?, error=?, origin=? WHERE id=?", path_);
      u.bind(1, r.status).bind(2, r.config).bind(3, r.git_sha).bind(4, r.versions).bind(5, r.device)
          .bind(6, r.text_encoder).bind(7, r.dataset_desc).bind(8, r.started).bind(9, r.finished).bind(10, r.error)
          .bind(11, origin).bind(12, mine->id).step(db_, path_);
      id = mine->id;
      ++rep.runs_replaced;
    } else {
      Stmt s(db_, "INSERT INTO runs(experiment, model, task, seed, profile, dataset, text_encoder_id, status, config, "
                  "git_sha, versions, device, text_encoder, dataset_desc, started, finished, error, origin) "
                  "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", path_);
      bind_key(s, r.key);
      s.bind(8, r.status).bind(9, r.config).bind(10, r.git_sha).bind(11, r.versions).bind(12, r.device)
          .bind(13, r.text_encoder).bind(14, r.dataset_desc).bind(15, r.started).bind(16, r.finished).bind(17, r.error)
          .bind(18, origin).step(db_, path_);
      id = sqlite3_last_insert_rowid(db_);
      ++rep.runs_added;
    }
    copy_children(r.id, id);
  }
  {
    // Frozen splits stay frozen across stores.
    Stmt c(db_, "SELECT s.task, s.sample_id, s.split, m.split FROM src.splits s JOIN main.splits m "
                "ON s.task=m.task AND s.sample_id=m.sample_id WHERE s.split!=m.split LIMIT 1", path_);
    if (c.step(db_, path_))
      fail(other, ": entry '", c.text(1), "' of task '", c.text(0), "' is in split '", c.text(2), "' there and '",
           c.text(3), "' in ", path_, ": the stores do not share a frozen split; nothing merged");
  }
  exec("INSERT OR IGNORE INTO main.splits SELECT * FROM src.splits;"
       "INSERT OR REPLACE INTO main.attention_maps SELECT * FROM src.attention_maps;"
       "INSERT OR REPLACE INTO main.histograms SELECT * FROM src.histograms;"
       "INSERT OR REPLACE INTO main.dataset_stats SELECT * FROM src.dataset_stats;");
  t.commit();
  return rep;
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
  Stmt s(db_, std::string("SELECT ") + kRunColumns + " FROM runs" + (where.empty() ? "" : " WHERE " + where) +
                  " ORDER BY id",
         path_);
  std::vector<RunInfo> out;
  while (s.step(db_, path_)) out.push_back(run_from(s));
  return out;
}

std::vector<StoredEpoch> ResultsStore::epochs(std::int64_t run) const {
  Stmt s(db_, "SELECT epoch, train_loss, val_mae, lr, seconds, data_wait FROM epochs WHERE run_id=? ORDER BY epoch", path_);
  s.bind(1, run);
  std::vector<StoredEpoch> out;
  while (s.step(db_, path_))
    out.push_back({static_cast<int>(s.integer(0)), s.real(1), s.real(2), s.real(3), s.real(4), s.real(5)});
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

namespace cast {

void ResultsStore::add_step_time(const StoredStepTime& t) {
  Stmt ins(db_, "INSERT INTO step_times VALUES(?,?,?,?,?,?,julianday('now'))", path_);
  ins.bind(1, t.cls).bind(2, t.device).bind(3, t.profile).bind(4, t.units).bind(5, t.seconds).bind(6, t.host);
  ins.step(db_, path_);
}

std::vector<StoredStepTime> ResultsStore::step_times() const {
  Stmt s(db_, "SELECT class, device, profile, units, seconds, host FROM step_times ORDER BY rowid", path_);
  std::vector<StoredStepTime> out;
  while (s.step(db_, path_)) out.push_back({s.text(0), s.text(1), s.text(2), s.real(3), s.real(4), s.text(5)});
  return out;
}

}  // namespace cast
