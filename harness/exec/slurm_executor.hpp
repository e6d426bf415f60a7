// The Slurm executor of a reproduction plan (`cast reproduce ... --executor slurm`).
// Steps become batch jobs submitted with `sbatch --parsable`: the LM corpus, the LM pretraining
// and each pretraining one job each, chained by --dependency=afterok; every group of training
// steps (and of dataset-statistics steps) sharing their dependencies one job array
// (--array=0-N[%K]); last a finish job that merges the steps' own stores into the results
// database and renders the tables and figures (`cast reproduce ... --executor local --finish`,
// which also computes the figure data). Every job: --kill-on-invalid-dep=yes, --requeue,
// --signal=B:USR1@<s>, --open-mode=append (a requeued attempt appends to its log).
// Files, under runs/<profile>/: slurm/<job>.sh (the job scripts, readable, each submittable by
// hand), slurm/manifest.txt (job -> array index -> step -> its cast arguments, the sbatch lines),
// slurm/jobs.json (the job id each step was last submitted under), logs/<job>-<id>[_<index>].log.
// Idempotent: a step whose results are on disk is done; one pending or running under its last
// job id (asked of squeue) is left alone; anything else (failed, cancelled, never submitted) is
// submitted again. No slurmdbd is needed: the truth is on disk and in squeue.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "exec/plan.hpp"

namespace cast::exec {

struct SlurmOptions {
  // kind of step ("" = every kind) -> value; see step_kinds() (lm, pretrain, train, data, finish).
  std::map<std::string, std::string> partition, account, qos, time;
  int gpus_per_job = 0;       // lm, pretrain and train jobs (--gpus)
  int cpus_per_job = 0;       // --cpus-per-task; also the steps' thread count (0: Slurm's default)
  // > 1: lm, pretrain and train jobs get --ntasks=N and start cast with `srun --ntasks=N`: one
  // data-parallel run of N ranks (cast reads SLURM_PROCID/SLURM_STEP_NUM_TASKS; issue 13).
  int ntasks_per_job = 0;
  std::string mem;            // --mem
  int array_parallelism = 0;  // %K of --array (0: no limit)
  int signal_seconds = 300;   // --signal=B:USR1@<s>: the warning before the time limit
  std::vector<std::string> sbatch_args;  // passed verbatim to every sbatch
};

// Reads "VALUE" (every kind) or "KIND=VALUE" (one kind) into `into`; an unknown kind fails naming
// the option and the valid kinds.
void parse_per_kind(const std::vector<std::string>& values, const std::string& option,
                    std::map<std::string, std::string>& into);

// What a submission is about.
struct SlurmPlan {
  std::string exe, workdir;                   // absolute: the cast binary, the folder jobs run in
  std::string what, profile;
  std::string runs_dir, logs_dir, slurm_dir;  // relative to workdir
  std::string db;                             // the results database the finish job merges into
  std::vector<std::string> finish_args;       // cast arguments of the finish job's last command
  std::string finish_marker;                  // written when the finish job succeeds
  std::vector<std::pair<std::string, std::string>> env;  // exported by every job script
};

// Writes the scripts and the manifest; unless dry_run, submits what is neither done nor queued.
// Returns 0, or fails (InputError) with sbatch's or squeue's own message.
int submit_to_slurm(const std::vector<Step>& steps, const SlurmPlan& plan, const SlurmOptions& opt, bool dry_run);

// Prints every step as done / pending / running / failed (with its log) / not submitted.
// Returns 0 when everything is done, 1 otherwise.
int print_slurm_status(const std::vector<Step>& steps, const SlurmPlan& plan);

}  // namespace cast::exec
