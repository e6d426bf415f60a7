// Stopping a long step cleanly, so that it can be resumed (or requeued on a cluster).
// SIGUSR1 (Slurm's warning before a time limit: jobs are submitted with --signal=B:USR1@<s> and
// the job script forwards it to cast), SIGTERM (scancel, preemption, `kill`) and SIGINT (Ctrl-C)
// set one flag; the training loops check stop_requested() after each optimiser step, write their
// resumable state (`last/`) and throw StopRequested, which main() turns into exit status
// kExitRequeue (75, EX_TEMPFAIL: "not finished, run me again").
// Who requeues: the job script, not cast. On status 75 the script runs `scontrol requeue
// $SLURM_JOB_ID`; the job keeps its id, so its afterok dependants stay valid and wait for the
// attempt that succeeds. cast itself knows nothing of Slurm, and a step started by hand behaves
// the same (Ctrl-C leaves a resumable `last/`, exit 75).
// A second SIGINT or SIGTERM after the first kills at once (the default action is restored).
// Torch-free: cast_core.
#pragma once
#include <stdexcept>
#include <string>

namespace cast {

constexpr int kExitRequeue = 75;

// Installs the handlers (idempotent). Only the commands that honour the flag call it, so that
// SIGTERM still ends every other command (cast reproduce, its local executor) at once.
void install_stop_handlers();
// A stop was asked for (async-signal-safe flag).
bool stop_requested();
// The signal that asked (0 when none).
int stop_signal_number();
// For tests: clears the flag.
void reset_stop_request();

// Thrown by a training loop after it saved its resumable state; main() exits with kExitRequeue.
struct StopRequested : std::runtime_error {
  explicit StopRequested(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace cast
