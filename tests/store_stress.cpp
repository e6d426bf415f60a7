// Many writers on one store: N processes open one fresh store at the same moment (released
// together through a pipe) and each records R runs with epochs and predictions; every row must
// be there and no process may see "database is locked". Repeated K times, each on a new store.
// Usage: store_stress [N=16] [R=20] [K=20]
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "store/results_store.hpp"

using namespace cast;

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 16, r = argc > 2 ? std::atoi(argv[2]) : 20,
            k = argc > 3 ? std::atoi(argv[3]) : 20;
  int failures = 0;
  for (int round = 0; round < k; ++round) {
    const std::string path = "/tmp/cast-store-stress-" + std::to_string(::getpid()) + ".db";
    for (const char* ext : {"", "-wal", "-shm", "-journal"}) std::remove((path + ext).c_str());
    int go[2];
    if (::pipe(go) != 0) return 2;
    std::vector<pid_t> kids;
    for (int p = 0; p < n; ++p) {
      pid_t pid = ::fork();
      if (pid == 0) {
        ::close(go[1]);
        char c;
        if (::read(go[0], &c, 1) < 0) _exit(3);  // released when the parent closes the pipe
        try {
          ResultsStore s(path);
          for (int i = 0; i < r; ++i) {
            const RunKey key{"stress", "m" + std::to_string(p), "task", "demo", static_cast<std::uint64_t>(i), "d", ""};
            const RunMeta meta{"{}", "", "", "cpu", "", ""};
            auto id = s.begin_run(key, meta).id;
            std::vector<StoredEpoch> ep;
            for (int e = 1; e <= 3; ++e) {
              ep.push_back({e, 1.0 / e, 0.5 / e, 1e-3, 0.1});
              s.add_epoch(id, ep.back());
            }
            std::vector<StoredPrediction> preds;
            for (int j = 0; j < 10; ++j) preds.push_back({"test", "s" + std::to_string(j), 1.0 * j, 1.0 * j + 0.1});
            s.finish_run(id, preds, ep, meta);
          }
        } catch (const std::exception& e) {
          std::fprintf(stderr, "round %d, process %d: %s\n", round, p, e.what());
          _exit(1);
        }
        _exit(0);
      }
      kids.push_back(pid);
    }
    ::close(go[0]);
    ::close(go[1]);
    for (pid_t pid : kids) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
    }
    ResultsStore s(path);
    const auto runs = s.runs("status='done'");
    std::size_t epochs = 0, preds = 0;
    for (const auto& run : runs) {
      epochs += s.epochs(run.id).size();
      preds += s.predictions(run.id).size();
    }
    const std::size_t want = static_cast<std::size_t>(n) * static_cast<std::size_t>(r);
    if (runs.size() != want || epochs != 3 * want || preds != 10 * want) {
      std::fprintf(stderr, "round %d: %zu runs, %zu epochs, %zu predictions; expected %zu, %zu, %zu\n", round,
                   runs.size(), epochs, preds, want, 3 * want, 10 * want);
      ++failures;
    }
    for (const char* ext : {"", "-wal", "-shm", "-journal"}) std::remove((path + ext).c_str());
  }
  std::printf("%d rounds of %d processes x %d runs: %d failure(s)\n", k, n, r, failures);
  return failures == 0 ? 0 : 1;
}
