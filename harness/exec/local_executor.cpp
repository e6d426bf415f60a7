// The local executor (exec/local_executor.hpp): child processes, progress and ETA.
#include "exec/local_executor.hpp"
#include "exec/eta.hpp"
#include "common/log.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/system.hpp"

namespace cast::exec {
namespace {

std::string fmt_time(double s) {
  if (s < 0) return "?";
  char b[32];
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) std::snprintf(b, sizeof b, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else std::snprintf(b, sizeof b, "%ldm%02lds", t / 60, t % 60);
  return b;
}

pid_t spawn(const std::string& exe, const std::vector<std::string>& args, const std::string& log, int threads) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) fail("cannot start a child process (", std::strerror(errno), ")");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a killed reproduce takes its children with it
    if (::getppid() != parent) ::_exit(111);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      const std::string head = log::step_log_header(exe, args);
      if (::write(fd, head.data(), head.size()) < 0) { /* the log stays without its header */ }
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    const std::string t = std::to_string(threads);
    ::setenv("OMP_NUM_THREADS", t.c_str(), 1);
    ::setenv("OPENBLAS_NUM_THREADS", t.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(exe.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    std::perror("execv");
    ::_exit(127);
  }
  return pid;
}

}  // namespace

std::string self_executable() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) fail("cannot find this executable (/proc/self/exe)");
  buf[n] = '\0';
  return buf;
}

std::string log_tail(const std::string& path, std::size_t lines) {
  if (!file_exists(path)) return "";
  std::string s = read_file(path);
  std::size_t pos = s.size(), n = 0;
  while (pos > 0 && n <= lines) {
    pos = s.rfind('\n', pos - 1);
    if (pos == std::string::npos) { pos = 0; break; }
    ++n;
  }
  return s.substr(pos);
}

int run_local(std::vector<Step>& steps, int jobs, int threads, const std::string& logs_dir, const LocalHooks& hooks) {
  const std::string exe = self_executable();
  make_directories(logs_dir);
  std::map<std::string, Step*> by_name;
  for (auto& s : steps) by_name[s.name] = &s;
  for (auto& s : steps)
    if (s.done && s.done()) s.status = "skipped";
  const std::size_t skipped = static_cast<std::size_t>(std::count_if(steps.begin(), steps.end(), [](const Step& s) { return s.status == "skipped"; }));
  spdlog::info("plan: {} steps, {} already done; {} at a time; logs in {}/", steps.size(), skipped, jobs, logs_dir);
  std::fflush(stdout);
  const bool tty = ::isatty(1) != 0;
  const double t0 = monotonic_seconds();
  double last_draw = 0;
  std::size_t finished = skipped, failed = 0;
  auto finished_ok = [&](const std::string& name) {
    auto it = by_name.find(name);
    return it == by_name.end() || it->second->status == "ok" || it->second->status == "skipped";
  };
  auto draw = [&](bool force) {
    const double t = monotonic_seconds();
    if (!force && t - last_draw < (tty ? 0.5 : 60)) return;
    last_draw = t;
    std::string running;
    for (auto& s : steps) if (s.status == "running") running += (running.empty() ? "" : ", ") + s.name;
    // The remaining steps' times from the finished ones (per kind and model), on the schedule
    // the executor will run them in (exec/eta.hpp).
    const double remaining = estimate_remaining(steps, jobs, t, hooks.prior);
    char line[512];
    std::snprintf(line, sizeof line, "[%zu/%zu steps%s, %s elapsed, ETA %s] %s", finished, steps.size(),
                  failed ? (", " + std::to_string(failed) + " failed").c_str() : "", fmt_time(t - t0).c_str(),
                  remaining >= 0 ? fmt_time(remaining).c_str() : "?", running.substr(0, 150).c_str());
    if (tty) std::printf("\r\033[K%s", line);
    else spdlog::info("{}", line);
    std::fflush(stdout);
  };
  for (;;) {
    // Block steps whose dependency failed.
    for (auto& s : steps)
      if (s.status == "pending")
        for (const auto& d : s.deps) {
          auto it = by_name.find(d);
          if (it != by_name.end() && (it->second->status == "failed" || it->second->status == "blocked")) {
            s.status = "blocked";
            ++finished;
            break;
          }
        }
    int running = 0;
    for (auto& s : steps) running += s.status == "running";
    for (auto& s : steps) {
      if (running >= jobs) break;
      if (s.status != "pending") continue;
      if (!std::all_of(s.deps.begin(), s.deps.end(), finished_ok)) continue;
      s.status = "running";
      s.started = monotonic_seconds();
      const std::string log = logs_dir + "/" + s.name + ".log";
      s.pid = spawn(exe, s.args, log, threads);
      ++running;
    }
    if (running == 0) break;
    int wstatus = 0;
    pid_t pid = ::waitpid(-1, &wstatus, WNOHANG);
    if (pid == 0) {
      draw(false);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    if (pid < 0) break;
    for (auto& s : steps) {
      if (s.pid != pid || s.status != "running") continue;
      s.seconds = monotonic_seconds() - s.started;
      const bool ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
      s.status = ok ? "ok" : "failed";
      ++finished;
      if (ok && !s.marker.empty()) write_file_atomic(s.marker, s.name + "\n");
      if (tty) std::printf("\r\033[K");
      std::fflush(stdout);
      if (ok) {
        spdlog::info("done   {:<45} {}", s.name, fmt_time(s.seconds));
        if (hooks.on_success) {
          try {
            hooks.on_success(s);
          } catch (const std::exception& e) {  // a record that could not be written costs only the ETA
            spdlog::warn("step time of {} not recorded: {}", s.name, e.what());
          }
        }
      } else {
        ++failed;
        spdlog::error("FAILED {:<45} {}", s.name, fmt_time(s.seconds));
        spdlog::error("  log {}/{}.log ends with:{}", logs_dir, s.name, log_tail(logs_dir + "/" + s.name + ".log", 4));
      }
      std::fflush(stdout);
    }
  }
  if (tty) std::printf("\r\033[K");
  std::size_t blocked = static_cast<std::size_t>(std::count_if(steps.begin(), steps.end(), [](const Step& s) { return s.status == "blocked"; }));
  std::fflush(stdout);
  spdlog::info("finished in {}: {} steps run, {} skipped (done before), {} failed, {} blocked by a failure",
               fmt_time(monotonic_seconds() - t0), finished - skipped - failed - blocked, skipped, failed, blocked);
  return failed + blocked == 0 ? 0 : 1;
}

}  // namespace cast::exec
