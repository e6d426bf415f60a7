#include "cli/dist_cli.hpp"

#include <cstdio>
#include <cstdlib>

#include "common/error.hpp"

namespace cast::cli {

void add_dist_options(CLI::App* cmd, DistArgs& a) {
  cmd->add_option("--nproc", a.nproc,
                  "Data parallel: start N processes of this command on this host (Gloo on CPU, NCCL on CUDA, one GPU "
                  "per process); under srun or torchrun variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) the "
                  "ranks come from the environment")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--dist-timeout", a.timeout_s,
                  "Data parallel: seconds a rank waits in a collective before it stops with an error (a dead or hung "
                  "rank)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

DistRun start_dist(const DistArgs& a, std::string& device, bool& quiet) {
  DistRun r;
  try {
    r.env = dist::detect_rank_env();
  } catch (const std::exception& e) {
    throw InputError(e.what());
  }
  if (a.nproc > 1 && !r.env.distributed()) {
    if (!dist::available())
      throw InputError("--nproc " + std::to_string(a.nproc) + ": " + dist::unavailable_reason());
    r.parent_status = dist::launch_local(a.nproc);
    return r;
  }
  if (a.nproc > 1 && r.env.source != "nproc" && r.env.world != a.nproc)
    throw InputError("--nproc " + std::to_string(a.nproc) + " inside a run of " + std::to_string(r.env.world) + " ranks (" +
                     r.env.source + " variables): drop --nproc, the environment starts the processes");
  if (!r.env.distributed()) return r;
  const auto timeout = std::chrono::milliseconds(static_cast<long long>(a.timeout_s * 1000));
  r.comm = dist::init(r.env, device, timeout);
  device = dist::rank_device(r.env, device);
  r.lead = r.env.rank == 0;
  if (!r.lead) {
    quiet = true;
    if (!std::freopen("/dev/null", "w", stdout)) std::fprintf(stderr, "rank %d: cannot silence stdout\n", r.env.rank);
  } else {
    std::printf("data parallel: %d ranks (%s, %s), master %s:%d\n", r.env.world, r.env.source.c_str(),
                r.comm->backend().c_str(), r.env.master_addr.c_str(), r.env.master_port);
  }
  return r;
}

}  // namespace cast::cli
