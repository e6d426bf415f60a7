// The stop flag of stop_signal.hpp: set from signal handlers, read by the training loops.
#include "train/stop_signal.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace cast {
namespace {

std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the stop flag must be lock-free to be set from a handler");

void on_stop(int sig) {
  const int previous = g_signal.exchange(sig);
  if (previous == 0) {
    // write(2) is async-signal-safe; stdio is not.
    const char* msg = sig == SIGUSR1   ? "cast: SIGUSR1: stopping after the current step (resumable checkpoint, exit 75)\n"
                      : sig == SIGTERM ? "cast: SIGTERM: stopping after the current step (resumable checkpoint, exit 75)\n"
                                       : "cast: interrupted: stopping after the current step (resumable checkpoint, exit 75; again to kill)\n";
    ssize_t ignored = ::write(2, msg, std::strlen(msg));
    (void)ignored;
  }
  // A second Ctrl-C or SIGTERM kills at once; SIGUSR1 (a time-limit warning) never does.
  if (sig != SIGUSR1) {
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    ::sigaction(sig, &dfl, nullptr);
  }
}

}  // namespace

void install_stop_handlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGUSR1, SIGTERM, SIGINT}) ::sigaction(sig, &sa, nullptr);
}

bool stop_requested() { return g_signal.load(std::memory_order_relaxed) != 0; }
int stop_signal_number() { return g_signal.load(std::memory_order_relaxed); }
void reset_stop_request() { g_signal.store(0); }

}  // namespace cast
