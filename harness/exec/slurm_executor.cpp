// The Slurm executor (exec/slurm_executor.hpp): job scripts, the manifest, sbatch chains, squeue.
#include "exec/slurm_executor.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "exec/command.hpp"

namespace cast::exec {
namespace {

using nlohmann::json;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) ++i;
  return s.substr(i);
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  return b;
}

std::string per_kind(const std::map<std::string, std::string>& m, const std::string& kind) {
  auto it = m.find(kind);
  if (it != m.end()) return it->second;
  it = m.find("");
  return it != m.end() ? it->second : "";
}

bool honours_usr1(const std::string& kind) { return kind == "lm" || kind == "pretrain" || kind == "train"; }

// A step of the plan whose step name is lm-corpus is of kind lm but runs `data prepare`, which does
// not catch USR1: the command decides, not the kind.
bool command_honours_usr1(const std::vector<std::string>& args) {
  if (args.empty()) return false;
  if (args[0] == "train" || args[0] == "pretrain") return true;
  return args.size() > 1 && args[0] == "lm" && args[1] == "pretrain";
}

// One sbatch submission: a single step, an array of steps, or the finish job.
struct Job {
  std::string label, name, kind, script;
  std::vector<const Step*> members;  // empty for the finish job
  std::vector<std::string> dep_refs;      // job refs (ids, or symbolic names in a dry run)
  std::vector<std::string> dep_steps;     // for the manifest
  bool array = false;
  std::string id;                          // after submission
  std::vector<std::string> sbatch_line;
};

struct QueueState {
  bool known = false;  // squeue answered
  std::string why_unknown;
  std::map<std::string, std::pair<std::string, std::string>> jobs;  // "12" or "12_3" -> (state, reason)
};

QueueState query_queue() {
  QueueState q;
  if (find_program("squeue").empty()) {
    q.why_unknown = "squeue is not on PATH";
    return q;
  }
  // -r: one line per array task, pending ones included; --me: this user's jobs only.
  auto r = run_command({"squeue", "-h", "-r", "--me", "-o", "%i|%T|%r"});
  if (r.status != 0) {
    q.why_unknown = "squeue failed (status " + std::to_string(r.status) + "): " + trim(r.err);
    return q;
  }
  q.known = true;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    auto a = line.find('|'), b = line.rfind('|');
    if (a == std::string::npos || b == a) continue;
    q.jobs[line.substr(0, a)] = {line.substr(a + 1, b - a - 1), line.substr(b + 1)};
  }
  return q;
}

// "pending" | "running" for a job in the queue, "" when it is not there.
std::string queued_as(const QueueState& q, const std::string& ref, std::string* reason = nullptr) {
  auto it = q.jobs.find(ref);
  if (it == q.jobs.end()) return "";
  const std::string& s = it->second.first;
  if (reason) *reason = it->second.second;
  if (s == "RUNNING" || s == "COMPLETING" || s == "CONFIGURING" || s == "STAGE_OUT" || s == "SIGNALING" || s == "RESIZING")
    return "running";
  return "pending";  // PENDING, REQUEUED, REQUEUE_HOLD, REQUEUE_FED, SUSPENDED, ...
}

json load_state(const std::string& path) {
  if (!file_exists(path)) return json{{"steps", json::object()}, {"submissions", json::array()}};
  auto j = json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("steps"))
    fail(path, ": not the job record of 'cast reproduce --executor slurm' (remove it to submit everything again)");
  if (!j.contains("submissions")) j["submissions"] = json::array();
  return j;
}

std::string step_log(const SlurmPlan& p, const std::string& name, const std::string& ref) {
  return p.logs_dir + "/" + name + "-" + ref + ".log";
}

const char* kRunCast = R"SH(# run_cast STEP MARKER USR1 ARGS...: one cast command. With USR1=forward, the time-limit warning
# (--signal=B:USR1@s, or `scancel --batch -s USR1`) is passed on to cast, which stops at a
# checkpoint with status 75; the job then requeues itself (same job id: its afterok dependants
# keep waiting) and the next attempt resumes from last/. SIGTERM (scancel, the time limit) reaches
# cast from Slurm directly; it is only noted here, and such a job is not requeued.
run_cast() {
  local step="$1" marker="$2" usr1="$3" got="" rc pid
  shift 3
  echo "== $step: job ${SLURM_JOB_ID:-none}, attempt $(( ${SLURM_RESTART_COUNT:-0} + 1 )), $(hostname), $(date -u +%FT%TZ)"
  echo "== $CAST $*"
  ${LAUNCH[@]+"${LAUNCH[@]}"} "$CAST" "$@" &
  pid=$!
  if [ "$usr1" = forward ]; then
    trap 'got=USR1; kill -USR1 "$pid" 2>/dev/null' USR1
  else
    trap 'got=USR1; echo "== USR1 (time-limit warning): this step cannot stop early, it goes on"' USR1
  fi
  trap 'got=TERM' TERM
  while :; do
    wait "$pid"; rc=$?
    kill -0 "$pid" 2>/dev/null || break
  done
  trap - USR1 TERM
  echo "== $step: cast exited with status $rc, $(date -u +%FT%TZ)"
  if [ "$rc" -eq 0 ] && [ -n "$marker" ]; then echo "$step" > "$marker.tmp" && mv -f "$marker.tmp" "$marker"; fi
  if [ "$rc" -eq 75 ] && [ "$got" = USR1 ] && [ -n "${SLURM_JOB_ID:-}" ]; then
    echo "== $step: stopped at a checkpoint; requeueing job $SLURM_JOB_ID (the next attempt resumes from last/)"
    scontrol requeue "$SLURM_JOB_ID" && sleep 600  # Slurm ends this attempt
  fi
  return "$rc"
}
)SH";

std::string job_script(const Job& j, const SlurmPlan& p, const SlurmOptions& o, const std::vector<Step>& steps) {
  std::ostringstream s;
  s << "#!/bin/bash\n";
  s << "# cast reproduce " << p.what << " --profile " << p.profile << " --executor slurm: job " << j.name;
  if (j.kind == "finish") s << " (merges the steps' stores into " << p.db << ", figure data, tables and figures)";
  else if (j.array) s << " (an array of " << j.members.size() << " steps, listed below and in manifest.txt)";
  s << ".\n# Written by cast; submitted as: " << sh_join(j.sbatch_line) << "\n";
  const std::string out = p.workdir + "/" + p.logs_dir + "/" + j.name + (j.array ? "-%A_%a.log" : "-%j.log");
  s << "#SBATCH --job-name=" << j.name << "\n";
  if (j.array) {
    s << "#SBATCH --array=0-" << j.members.size() - 1;
    if (o.array_parallelism > 0) s << "%" << o.array_parallelism;
    s << "\n";
  }
  s << "#SBATCH --output=" << out << "\n#SBATCH --open-mode=append\n";
  s << "#SBATCH --chdir=" << p.workdir << "\n";
  s << "#SBATCH --requeue\n#SBATCH --kill-on-invalid-dep=yes\n";
  s << "#SBATCH --signal=B:USR1@" << o.signal_seconds << "\n";
  const std::string kind = j.kind;
  for (auto [opt, m] : {std::pair{"time", &o.time}, {"partition", &o.partition}, {"account", &o.account}, {"qos", &o.qos}}) {
    const std::string v = per_kind(*m, kind);
    if (!v.empty()) s << "#SBATCH --" << opt << "=" << v << "\n";
  }
  if (o.cpus_per_job > 0) s << "#SBATCH --cpus-per-task=" << o.cpus_per_job << "\n";
  if (!o.mem.empty()) s << "#SBATCH --mem=" << o.mem << "\n";
  if (o.gpus_per_job > 0 && honours_usr1(kind)) s << "#SBATCH --gpus=" << o.gpus_per_job << "\n";
  // Only the data-parallel commands (train, pretrain, lm pretrain) run as srun steps; the LM
  // corpus job (cast describe) stays one process.
  bool srun = o.ntasks_per_job > 1 && honours_usr1(kind) && !j.members.empty();
  for (const Step* st : j.members) srun = srun && command_honours_usr1(st->args);
  if (srun) s << "#SBATCH --ntasks=" << o.ntasks_per_job << "\n";
  s << "set -u\ncd " << sh_quote(p.workdir) << " || exit 1\n";
  s << "CAST=" << sh_quote(p.exe) << "\n";
  for (const auto& [k, v] : p.env) s << "export " << k << "=" << sh_quote(v) << "\n";
  s << "threads=${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-1}}\n";
  s << "export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads\n";
  // Data parallel: the step's ranks are the tasks of one srun step (rank 0 records the results).
  if (srun) s << "LAUNCH=(srun --ntasks=" << o.ntasks_per_job << " --kill-on-bad-exit=1)\n\n";
  else s << "LAUNCH=()\n\n";
  s << kRunCast << "\n";
  auto usr1 = [](const std::vector<std::string>& args) { return command_honours_usr1(args) ? "forward" : "ignore"; };
  if (j.kind == "finish") {
    std::vector<std::string> stores;
    for (const auto& st : steps)
      if (!st.step_store.empty()) stores.push_back(st.step_store);
    s << "# The steps' own stores (those that exist: a step done earlier by the local executor has none).\n";
    s << "stores=()\nfor f in";
    for (const auto& f : stores) s << " \\\n    " << sh_quote(f);
    s << "; do\n  [ -f \"$f\" ] && stores+=(\"$f\")\ndone\n";
    s << "if [ ${#stores[@]} -gt 0 ]; then\n  run_cast merge '' ignore results merge --store-journal delete --into " << sh_quote(p.db)
      << " \"${stores[@]}\" || exit $?\nfi\n";
    s << "run_cast finish " << sh_quote(p.finish_marker) << " ignore " << sh_join(p.finish_args) << "\nexit $?\n";
    return s.str();
  }
  if (j.array) {
    s << "case \"${SLURM_ARRAY_TASK_ID:-}\" in\n";
    for (std::size_t i = 0; i < j.members.size(); ++i) {
      const Step& st = *j.members[i];
      s << "  " << i << ") run_cast " << sh_quote(st.name) << " " << (st.marker.empty() ? "''" : sh_quote(st.marker)) << " "
        << usr1(st.args) << " " << sh_join(st.args) << " ;;\n";
    }
    s << "  *) echo \"no step at array index '${SLURM_ARRAY_TASK_ID:-}' (see manifest.txt)\" >&2; exit 2 ;;\nesac\nexit $?\n";
  } else {
    const Step& st = *j.members.front();
    s << "run_cast " << sh_quote(st.name) << " " << (st.marker.empty() ? "''" : sh_quote(st.marker)) << " " << usr1(st.args)
      << " " << sh_join(st.args) << "\nexit $?\n";
  }
  return s.str();
}

std::string manifest_text(const std::vector<Job>& jobs, const SlurmPlan& p, bool dry_run,
                          const std::vector<std::pair<std::string, std::string>>& kept) {
  std::ostringstream m;
  m << "# cast reproduce " << p.what << " --profile " << p.profile << " --executor slurm, " << utc_now()
    << (dry_run ? " (--dry-run: written, not submitted)" : "") << "\n";
  m << "# Jobs run in " << p.workdir << " with " << p.exe << "; logs in " << p.logs_dir << "/<job>-<id>[_<index>].log.\n";
  m << "# Each job: its script, its dependencies, then one line per step: array index, step, cast arguments.\n\n";
  for (const auto& j : jobs) {
    m << "job " << j.name << (j.id.empty() ? "" : "  id " + j.id) << "  script " << j.script << "\n";
    if (!j.dep_steps.empty()) {
      m << "  after (afterok):";
      for (const auto& d : j.dep_steps) m << " " << d;
      m << "\n";
    }
    m << "  submitted with: " << sh_join(j.sbatch_line) << "\n";
    if (j.kind == "finish") {
      m << "  -  merge  cast results merge --into " << p.db << " <the steps' stores>\n";
      m << "  -  finish cast " << sh_join(p.finish_args) << "\n";
    }
    for (std::size_t i = 0; i < j.members.size(); ++i)
      m << "  " << (j.array ? std::to_string(i) : std::string("-")) << "  " << j.members[i]->name << "  cast "
        << sh_join(j.members[i]->args) << "\n";
    m << "\n";
  }
  if (!kept.empty()) {
    m << "# Still queued from an earlier submission (not submitted again):\n";
    for (const auto& [step, ref] : kept) m << "#   " << step << "  job " << ref << "\n";
  }
  return m.str();
}

}  // namespace

void parse_per_kind(const std::vector<std::string>& values, const std::string& option,
                    std::map<std::string, std::string>& into) {
  const auto& kinds = step_kinds();
  for (const auto& v : values) {
    const auto eq = v.find('=');
    if (eq == std::string::npos) {
      into[""] = v;
      continue;
    }
    const std::string kind = v.substr(0, eq);
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end() || kind == "figure") {
      fail(option, " ", v, ": unknown kind of step '", kind,
           "'; give VALUE for every job or KIND=VALUE with KIND one of lm, pretrain, train, data, finish");
    }
    into[kind] = v.substr(eq + 1);
  }
}

int submit_to_slurm(const std::vector<Step>& steps, const SlurmPlan& p, const SlurmOptions& o, bool dry_run) {
  if (!dry_run && find_program("sbatch").empty())
    fail("sbatch is not on PATH: --executor slurm submits the steps as Slurm jobs, from a machine of the cluster "
         "(a login node); without Slurm, run them here with --executor local (the default)");
  make_directories(p.slurm_dir);
  make_directories(p.logs_dir);
  const std::string state_path = p.slurm_dir + "/jobs.json";
  json state = load_state(state_path);
  QueueState q;
  bool any_recorded = !state["steps"].empty();
  if (any_recorded && (!dry_run || !find_program("squeue").empty())) {
    q = query_queue();
    if (!q.known && !dry_run)
      fail(q.why_unknown, ": cannot tell which steps of the last submission are still queued, so nothing was submitted "
           "(run it again when squeue answers)");
  }

  std::map<std::string, const Step*> by_name;
  for (const auto& s : steps) by_name[s.name] = &s;
  // Each step: done, still queued under its last job (ref), or to submit.
  std::map<std::string, std::string> queued_ref;  // step -> job ref
  std::vector<const Step*> to_submit;
  std::vector<std::pair<std::string, std::string>> kept;
  std::size_t n_done = 0, n_figure = 0;
  bool figures_done = true;
  for (const auto& s : steps) {
    if (s.done && s.done()) { ++n_done; continue; }
    if (s.kind == "figure") { ++n_figure; figures_done = false; continue; }  // the finish job computes them
    const auto rec = state["steps"].find(s.name);
    if (rec != state["steps"].end() && q.known) {
      const std::string ref = (*rec)["job"].get<std::string>();
      if (!queued_as(q, ref).empty()) {
        queued_ref[s.name] = ref;
        kept.push_back({s.name, ref});
        continue;
      }
    }
    to_submit.push_back(&s);
  }
  // The finish job: needed unless everything is done and it has run since.
  std::string finish_queued;
  if (auto rec = state["steps"].find("finish"); rec != state["steps"].end() && q.known) {
    const std::string ref = (*rec)["job"].get<std::string>();
    if (!queued_as(q, ref).empty()) finish_queued = ref;
  }
  const bool all_done = to_submit.empty() && queued_ref.empty() && figures_done;
  if (all_done && file_exists(p.finish_marker)) {
    std::printf("slurm: every step is done and the finish job has run: nothing to submit (tables in results/%s/)\n",
                p.profile.c_str());
    return 0;
  }
  if (to_submit.empty() && !finish_queued.empty()) {
    std::printf("slurm: nothing to submit: %zu steps done, %zu still queued under their jobs, the finish job %s queued "
                "(cast reproduce %s --profile %s --status)\n",
                n_done, queued_ref.size(), finish_queued.c_str(), p.what.c_str(), p.profile.c_str());
    return 0;
  }

  // Jobs: one per lm/pretrain step, one array per group of train (and data) steps that share
  // their dependencies; plan order is dependency order, so groups come after what they wait for.
  // Resubmissions get job and script names of their own ("-r2"), so that the scripts of jobs
  // still queued from an earlier submission stay as they were submitted.
  const std::size_t number = state["submissions"].size() + 1;
  const std::string suffix = number > 1 ? "-r" + std::to_string(number) : "";
  std::vector<Job> jobs;
  std::map<std::string, std::size_t> group_of;  // group key -> job index
  std::map<std::string, int> label_count;
  for (const Step* s : to_submit) {
    const bool grouped = s->kind == "train" || s->kind == "data";
    std::vector<std::string> deps = s->deps;
    std::sort(deps.begin(), deps.end());
    std::string key = s->kind + "|";
    if (grouped) for (const auto& d : deps) key += d + ",";
    else key += s->name;
    auto it = group_of.find(key);
    if (it == group_of.end()) {
      Job j;
      j.kind = s->kind;
      j.array = grouped;
      j.label = (grouped ? s->kind + std::to_string(++label_count[s->kind]) : s->name) + suffix;
      j.name = "cast-" + p.profile + "-" + j.label;
      j.script = p.slurm_dir + "/" + j.label + ".sh";
      for (const auto& d : deps) {
        auto bs = by_name.find(d);
        if (bs == by_name.end() || (bs->second->done && bs->second->done())) continue;
        j.dep_steps.push_back(d);
      }
      group_of[key] = jobs.size();
      jobs.push_back(j);
      it = group_of.find(key);
    }
    jobs[it->second].members.push_back(s);
  }
  {
    Job f;
    f.kind = "finish";
    f.label = "finish" + suffix;
    f.name = "cast-" + p.profile + "-" + f.label;
    f.script = p.slurm_dir + "/" + f.label + ".sh";
    for (const auto& s : steps)
      if (s.kind != "figure" && (queued_ref.count(s.name) || std::find(to_submit.begin(), to_submit.end(), &s) != to_submit.end()))
        f.dep_steps.push_back(s.name);
    jobs.push_back(f);
  }

  // Submit in order; each step's ref is known once its job is in.
  std::map<std::string, std::string> ref_of = queued_ref;  // step -> job ref
  if (!dry_run && !finish_queued.empty()) {
    // The earlier finish job would not wait for what is submitted now: replaced.
    auto r = run_command({"scancel", finish_queued});
    std::printf("slurm: cancelled the earlier finish job %s (it did not wait for the steps submitted now)%s\n",
                finish_queued.c_str(), r.status == 0 ? "" : (": scancel said " + trim(r.err)).c_str());
  }
  if (!dry_run) std::remove(p.finish_marker.c_str());
  json& rec_steps = state["steps"];
  json submission = {{"at", utc_now()}, {"jobs", json::array()}};
  auto save = [&] {
    json s = state;
    s["submissions"].push_back(submission);
    write_file_atomic(state_path, s.dump(1) + "\n");
  };
  for (auto& j : jobs) {
    std::vector<std::string> refs;
    for (const auto& d : j.dep_steps) {
      auto it = ref_of.find(d);
      if (it != ref_of.end()) refs.push_back(it->second);
      else refs.push_back("<" + d + ">");  // dry run: the job id sbatch would give
    }
    std::sort(refs.begin(), refs.end());
    refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
    j.sbatch_line = {"sbatch", "--parsable"};
    if (!refs.empty()) {
      std::string dep = "--dependency=afterok";
      for (const auto& r : refs) dep += ":" + r;
      j.sbatch_line.push_back(dep);
    }
    for (const auto& a : o.sbatch_args) j.sbatch_line.push_back(a);
    j.sbatch_line.push_back(j.script);
    write_file_atomic(j.script, job_script(j, p, o, steps));
    ::chmod(j.script.c_str(), 0755);
    if (dry_run) {
      for (std::size_t i = 0; i < j.members.size(); ++i)
        ref_of[j.members[i]->name] = "<" + j.members[i]->name + ">";
      continue;
    }
    auto r = run_command(j.sbatch_line);
    std::string id = trim(r.out);
    if (auto semi = id.find(';'); semi != std::string::npos) id = id.substr(0, semi);  // "id;cluster"
    if (r.status != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
      save();
      fail("sbatch failed for job ", j.name, " (", sh_join(j.sbatch_line), ", status ", r.status, "): ",
           trim(r.err).empty() ? trim(r.out) : trim(r.err), "\n", submission["jobs"].size(),
           " job(s) before it are submitted and recorded in ", state_path, "; run the same command again to submit the rest");
    }
    j.id = id;
    submission["jobs"].push_back(id);
    auto record = [&](const std::string& step, const std::string& ref) {
      rec_steps[step] = {{"job", ref}, {"job_name", j.name}, {"log", step_log(p, j.name, ref)},
                         {"script", j.script}, {"submitted", utc_now()}};
      ref_of[step] = ref;
    };
    if (j.kind == "finish") record("finish", id);
    for (std::size_t i = 0; i < j.members.size(); ++i) record(j.members[i]->name, j.array ? id + "_" + std::to_string(i) : id);
    save();  // after every job: a failure later never loses what is already queued
  }
  // manifest.txt: the last submission; manifest-<N>.txt: each one.
  const std::string manifest = manifest_text(jobs, p, dry_run, kept);
  write_file_atomic(p.slurm_dir + "/manifest.txt", manifest);
  if (!dry_run) write_file_atomic(p.slurm_dir + "/manifest-" + std::to_string(number) + ".txt", manifest);
  std::size_t n_steps = to_submit.size();
  if (dry_run) {
    std::printf("slurm --dry-run: %zu jobs (%zu steps, then the finish job) written to %s/, nothing submitted; "
                "%zu steps done, %zu still queued\n",
                jobs.size(), n_steps, p.slurm_dir.c_str(), n_done, queued_ref.size());
  } else {
    std::printf("slurm: submitted %zu jobs (%zu steps + the finish job %s); %zu steps done before, %zu still queued from "
                "earlier; manifest %s/manifest.txt, logs %s/\n",
                jobs.size(), n_steps, jobs.back().id.c_str(), n_done, queued_ref.size(), p.slurm_dir.c_str(),
                p.logs_dir.c_str());
  }
  for (const auto& j : jobs) {
    std::printf("  %-28s %-8s %zu step%s%s\n", j.name.c_str(), j.id.empty() ? "-" : j.id.c_str(),
                j.kind == "finish" ? n_figure : j.members.size(),
                (j.kind == "finish" ? n_figure : j.members.size()) == 1 ? "" : "s",
                j.kind == "finish" ? " of figure data, merge, tables" : "");
  }
  std::fflush(stdout);
  return 0;
}

int print_slurm_status(const std::vector<Step>& steps, const SlurmPlan& p) {
  const std::string state_path = p.slurm_dir + "/jobs.json";
  json state = load_state(state_path);
  QueueState q;
  if (!state["steps"].empty()) q = query_queue();
  std::map<std::string, std::size_t> count;
  auto show = [&](const std::string& name, std::string st, const std::string& job, const std::string& detail) {
    ++count[st];
    std::printf("%-14s %-42s %-10s %s\n", st.c_str(), name.c_str(), job.c_str(), detail.c_str());
  };
  // A step's state from its record and the queue (not done).
  auto from_queue = [&](const std::string& name, std::string& job, std::string& detail) -> std::string {
    auto rec = state["steps"].find(name);
    if (rec == state["steps"].end()) return "not submitted";
    job = (*rec)["job"].get<std::string>();
    const std::string log = (*rec).value("log", "");
    if (!q.known) { detail = "(" + q.why_unknown + ")"; return "unknown"; }
    std::string reason;
    const std::string qs = queued_as(q, job, &reason);
    if (qs == "pending") { detail = reason.empty() || reason == "None" ? "" : "(" + reason + ")"; return qs; }
    if (qs == "running") { detail = log; return qs; }
    if (file_exists(log)) detail = log;
    else detail = "(no log " + log + ": cancelled before it started, or a dependency failed)";
    return "failed";
  };
  std::printf("cast reproduce %s --profile %s on Slurm (%s)\n", p.what.c_str(), p.profile.c_str(),
              state["steps"].empty() ? "nothing submitted yet" : state_path.c_str());
  std::printf("%-14s %-42s %-10s %s\n", "state", "step", "job", "log / reason");
  bool all_done = true;
  for (const auto& s : steps) {
    if (s.done && s.done()) { show(s.name, "done", "", ""); continue; }
    all_done = false;
    std::string job, detail;
    if (s.kind == "figure") {
      std::string st = from_queue("finish", job, detail);
      show(s.name, st, job, "(computed by the finish job) " + detail);
      continue;
    }
    const std::string st = from_queue(s.name, job, detail);
    show(s.name, st, job, detail);
  }
  if (all_done && file_exists(p.finish_marker)) show("finish", "done", "", "");
  else {
    std::string job, detail;
    const std::string st = from_queue("finish", job, detail);
    show("finish", st, job, detail);
  }
  std::string summary;
  for (const char* k : {"done", "running", "pending", "failed", "not submitted", "unknown"})
    if (count[k]) summary += (summary.empty() ? "" : ", ") + std::to_string(count[k]) + " " + k;
  std::printf("%s\n", summary.c_str());
  if (count["failed"] || count["not submitted"])
    std::printf("run the same command without --status to submit the failed and unsubmitted steps again\n");
  return all_done && file_exists(p.finish_marker) ? 0 : 1;
}

}  // namespace cast::exec
