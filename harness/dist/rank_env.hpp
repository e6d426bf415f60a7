// Where this process stands in a data-parallel run (torch-free, cast_core):
//   torchrun style  RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT
//   srun            SLURM_PROCID, SLURM_STEP_NUM_TASKS (or SLURM_NTASKS), SLURM_LOCALID; the master
//                   is the first host of SLURM_STEP_NODELIST / SLURM_JOB_NODELIST (scontrol show
//                   hostnames, else parsed), the port MASTER_PORT or 29500 + job id % 20000
//   --nproc N       cast starts N copies of itself on this host (launch_local) with torchrun
//                   variables and CAST_NPROC_PARENT set
// and the --nproc parent itself: it forwards USR1/TERM/INT to its children and, when one of them
// exits non-zero (other than 75, "stopped, run me again"), kills the others.
#pragma once
#include <string>
#include <vector>

namespace cast::dist {

struct RankEnv {
  int rank = 0, world = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string source = "single";   // single | torchrun | slurm | nproc
  bool distributed() const { return world > 1; }
};

// From the environment (torchrun variables first, then an srun step). Throws std::runtime_error on
// inconsistent variables (RANK >= WORLD_SIZE, ...).
RankEnv detect_rank_env();

// The first host name of a Slurm node list: "node[03-05,07],gpu1" -> "node03", "a,b" -> "a".
std::string first_slurm_host(const std::string& nodelist);

// Runs N copies of this very command (/proc/self/exe with /proc/self/cmdline) as ranks 0..N-1 on
// this host and waits for them; the exit status of the run: 0 when all succeeded, 75 when they
// were stopped by a signal, else the first failure's status (128 + signal for a killed rank).
int launch_local(int nproc);

}  // namespace cast::dist
