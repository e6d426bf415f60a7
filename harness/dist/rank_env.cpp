#include "dist/rank_env.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include "common/log.hpp"

namespace cast::dist {

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

int env_int(const char* name, int fallback) {
  const char* v = env(name);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  const long x = std::strtol(v, &end, 10);
  if (errno || *end || x < 0 || x > 1 << 24)
    throw std::runtime_error(std::string("environment variable ") + name + "='" + v + "' is not a count");
  return static_cast<int>(x);
}

std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  if (::pclose(p) != 0) return {};
  return out;
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
  // The first entry at bracket depth 0, then its first name inside the brackets.
  std::string first;
  int depth = 0;
  for (char ch : nodelist) {
    if (ch == '[') ++depth;
    if (ch == ']') --depth;
    if (ch == ',' && depth == 0) break;
    first += ch;
  }
  const auto open = first.find('[');
  if (open == std::string::npos) return first;
  const auto close = first.find(']', open);
  std::string inner = first.substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1);
  inner = inner.substr(0, inner.find_first_of(",-"));
  const std::string rest = close == std::string::npos ? "" : first.substr(close + 1);
  return first.substr(0, open) + inner + rest;
}

RankEnv detect_rank_env() {
  RankEnv e;
  if (env("WORLD_SIZE") || env("RANK")) {
    e.world = env_int("WORLD_SIZE", 1);
    e.rank = env_int("RANK", 0);
    e.local_rank = env_int("LOCAL_RANK", e.rank);
    if (const char* a = env("MASTER_ADDR")) e.master_addr = a;
    e.master_port = env_int("MASTER_PORT", 29500);
    e.source = env("CAST_NPROC_PARENT") ? "nproc" : "torchrun";
  } else if (env("SLURM_PROCID") && (env("SLURM_STEP_ID") || env("SLURM_STEPID")) &&
             (env("SLURM_STEP_NUM_TASKS") || env("SLURM_NTASKS"))) {
    // A task of an srun step (a batch script itself has no step id and is one process).
    e.world = env("SLURM_STEP_NUM_TASKS") ? env_int("SLURM_STEP_NUM_TASKS", 1) : env_int("SLURM_NTASKS", 1);
    e.rank = env_int("SLURM_PROCID", 0);
    e.local_rank = env_int("SLURM_LOCALID", 0);
    const char* nodes = env("SLURM_STEP_NODELIST") ? env("SLURM_STEP_NODELIST") : env("SLURM_JOB_NODELIST");
    if (const char* a = env("MASTER_ADDR")) {
      e.master_addr = a;
    } else if (nodes) {
      std::string hosts = run_capture(std::string("scontrol show hostnames '") + nodes + "' 2>/dev/null");
      hosts = hosts.substr(0, hosts.find('\n'));
      e.master_addr = hosts.empty() ? first_slurm_host(nodes) : hosts;
    }
    const int job = env_int("SLURM_JOB_ID", 0);
    e.master_port = env_int("MASTER_PORT", 29500 + job % 20000);
    e.source = "slurm";
  }
  if (e.world < 1) throw std::runtime_error("world size " + std::to_string(e.world) + ": must be at least 1");
  if (e.rank >= e.world)
    throw std::runtime_error("rank " + std::to_string(e.rank) + " is not below the world size " + std::to_string(e.world) +
                             " (" + e.source + " variables)");
  if (e.master_port <= 0 || e.master_port > 65535)
    throw std::runtime_error("MASTER_PORT " + std::to_string(e.master_port) + " is not a port");
  return e;
}

namespace {

std::vector<pid_t> g_children;

void forward_signal(int sig) {
  for (pid_t p : g_children)
    if (p > 0) ::kill(p, sig);
}

int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return 29500;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = 29500;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(s);
  return port;
}

std::vector<std::string> own_command_line() {
  std::ifstream is("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(is)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  std::string cur;
  for (char ch : all) {
    if (ch == '\0') {
      args.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) args.push_back(cur);
  return args;
}

}  // namespace

int launch_local(int nproc) {
  if (nproc < 1) throw std::runtime_error("--nproc " + std::to_string(nproc) + ": must be at least 1");
  const auto args = own_command_line();
  if (args.empty()) throw std::runtime_error("--nproc: cannot read /proc/self/cmdline");
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) throw std::runtime_error("--nproc: cannot read /proc/self/exe");
  exe[n] = '\0';
  const std::string port = env("MASTER_PORT") ? env("MASTER_PORT") : std::to_string(free_port());
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  g_children.assign(static_cast<std::size_t>(nproc), -1);
  struct sigaction sa{};
  sa.sa_handler = forward_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGUSR1, SIGTERM, SIGINT}) ::sigaction(sig, &sa, nullptr);
  for (int r = 0; r < nproc; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      forward_signal(SIGKILL);
      throw std::runtime_error(std::string("--nproc: fork failed: ") + std::strerror(errno));
    }
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the parent gone (even SIGKILLed): no orphaned rank
      ::setenv("RANK", std::to_string(r).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", port.c_str(), 1);
      ::setenv("CAST_NPROC_PARENT", std::to_string(::getppid()).c_str(), 1);
      ::execv(exe, argv.data());
      std::fprintf(stderr, "ERROR: --nproc: cannot start %s: %s\n", exe, std::strerror(errno));
      ::_exit(127);
    }
    g_children[static_cast<std::size_t>(r)] = pid;
  }
  int result = 0, running = nproc;
  bool killed_others = false;
  while (running > 0) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    int rank = -1;
    for (int r = 0; r < nproc; ++r)
      if (g_children[static_cast<std::size_t>(r)] == pid) rank = r;
    if (rank < 0) continue;
    g_children[static_cast<std::size_t>(rank)] = -1;
    --running;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code == 0) continue;
    if (result == 0 || (result == 75 && code != 75)) result = code;
    if (code != 75 && !killed_others) {
      if (WIFSIGNALED(status))
        spdlog::error("rank {} of {} was killed by signal {}; stopping the other ranks", rank, nproc, WTERMSIG(status));
      else
        spdlog::error("rank {} of {} exited with status {}; stopping the other ranks", rank, nproc, code);
      killed_others = true;
      forward_signal(SIGKILL);
    }
  }
  for (int sig : {SIGUSR1, SIGTERM, SIGINT}) ::signal(sig, SIG_DFL);
  g_children.clear();
  return result;
}

}  // namespace cast::dist
