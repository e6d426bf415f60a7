// CAST_WITH_C10D: USE_C10D_GLOO (and with CAST_WITH_NCCL, USE_C10D_NCCL) are defined for this file
// by CMake: Debian's LibTorch exports neither, and ProcessGroupGloo.hpp is empty without it.
#include "dist/comm.hpp"

#include <cstdint>
#include <stdexcept>

#ifdef CAST_WITH_C10D
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef CAST_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#include <unistd.h>
#endif

namespace cast::dist {

std::string rank_device(const RankEnv& env, const std::string& device) {
  if (device == "cuda" && env.distributed()) return "cuda:" + std::to_string(env.local_rank);
  return device;
}

std::pair<std::size_t, std::size_t> shard(std::size_t n, int r, int w) {
  const auto R = static_cast<std::size_t>(r), W = static_cast<std::size_t>(w);
  return {n * R / W, n * (R + 1) / W};
}

#ifdef CAST_WITH_C10D

bool available() { return true; }
std::string unavailable_reason() { return {}; }

namespace {

std::string message_of(const std::exception& e) {
  if (auto* ce = dynamic_cast<const c10::Error*>(&e)) return ce->what_without_backtrace();
  return e.what();
}

// One backend class for both LibTorch generations: 1.x's ProcessGroupGloo derives from
// ProcessGroup, 2.x's from c10d::Backend; the collectives' signatures are the same, so the
// concrete class is used directly (templated on it).
template <class PG>
class C10dComm : public Comm {
 public:
  C10dComm(c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<PG> pg, const RankEnv& env, std::string backend,
           torch::Device device, std::chrono::milliseconds timeout)
      : store_(std::move(store)), pg_(std::move(pg)) {
    rank_ = env.rank;
    world_ = env.world;
    backend_ = std::move(backend);
    device_ = device;
    timeout_ = timeout;
  }

  void broadcast(std::vector<torch::Tensor>& ts, int root) override {
    run("broadcast", [&] {
      for (auto& t : ts) {
        std::vector<torch::Tensor> v{on_device(t)};
        c10d::BroadcastOptions o;
        o.rootRank = root;
        o.timeout = timeout_;
        pg_->broadcast(v, o)->wait();
        if (!v[0].is_same(t)) t.copy_(v[0]);
      }
    });
  }

  void allreduce_sum(torch::Tensor& t) override {
    run("all-reduce", [&] {
      std::vector<torch::Tensor> v{on_device(t)};
      c10d::AllreduceOptions o;
      o.reduceOp = c10d::ReduceOp::SUM;
      o.timeout = timeout_;
      pg_->allreduce(v, o)->wait();
      if (!v[0].is_same(t)) t.copy_(v[0]);
    });
  }

  std::vector<torch::Tensor> allgather(const torch::Tensor& t) override {
    std::vector<torch::Tensor> out;
    run("all-gather", [&] {
      std::vector<torch::Tensor> in{on_device(t)};
      std::vector<std::vector<torch::Tensor>> outs(1);
      for (int r = 0; r < world_; ++r) outs[0].push_back(torch::empty_like(in[0]));
      c10d::AllgatherOptions o;
      o.timeout = timeout_;
      pg_->allgather(outs, in, o)->wait();
      for (auto& x : outs[0]) out.push_back(x.to(t.device()));
    });
    return out;
  }

  void barrier(std::chrono::milliseconds timeout) override {
    // The process group's barrier: a rank that dies fails it at once (its connection closes);
    // one that hangs, after `timeout`.
    run("barrier", [&] {
      c10d::BarrierOptions o;
      o.timeout = timeout;
      pg_->barrier(o)->wait(timeout);
    });
  }

 private:
  torch::Tensor on_device(const torch::Tensor& t) const {
    auto x = t.device() == device_ ? t : t.to(device_);
    return x.is_contiguous() ? x : x.contiguous();
  }

  template <class F>
  void run(const char* what, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      throw std::runtime_error("rank " + std::to_string(rank_) + " of " + std::to_string(world_) + ": " + what +
                               " failed (" + backend_ + ", timeout " + std::to_string(timeout_.count() / 1000) +
                               " s): another rank died, hangs or stopped: " + message_of(e));
    }
  }

  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<PG> pg_;
};

}  // namespace

std::shared_ptr<Comm> init(const RankEnv& env, const std::string& device, std::chrono::milliseconds timeout) {
  const torch::Device dev(rank_device(env, device));
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(env.master_port);
  so.isServer = env.rank == 0;
  so.numWorkers = static_cast<std::size_t>(env.world);
  so.waitWorkers = true;
  // Starting the ranks may take a while (srun on many nodes); the collectives' timeout is apart.
  so.timeout = std::max(timeout, std::chrono::milliseconds(300000));
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(env.rank) + " of " + std::to_string(env.world) +
                             ": rendezvous at " + env.master_addr + ":" + std::to_string(env.master_port) +
                             " failed: " + message_of(e));
  }
  if (dev.is_cuda()) {
#ifdef CAST_WITH_NCCL
    auto o = c10d::ProcessGroupNCCL::Options::create();
    o->timeout = timeout;
    auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world, o);
    return std::make_shared<C10dComm<c10d::ProcessGroupNCCL>>(store, pg, env, "nccl", dev, timeout);
#else
    throw std::runtime_error("--device cuda with several processes needs NCCL, and this cast was built without it "
                             "(CAST_WITH_NCCL: a LibTorch with CUDA and ProcessGroupNCCL); use --device cpu (Gloo)");
#endif
  }
  auto o = c10d::ProcessGroupGloo::Options::create(timeout);
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"))
    o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
  else if (env.master_addr == "127.0.0.1" || env.master_addr == "localhost")
    o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  else
    o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  try {
    pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world, o);
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(env.rank) + " of " + std::to_string(env.world) +
                             ": the Gloo process group failed to connect: " + message_of(e));
  }
  return std::make_shared<C10dComm<c10d::ProcessGroupGloo>>(store, pg, env, "gloo", dev, timeout);
}

#else  // no c10d

bool available() { return false; }
std::string unavailable_reason() {
#ifdef CAST_C10D_REASON
  return CAST_C10D_REASON;
#else
  return "this cast was built without c10d (CAST_WITH_C10D=OFF)";
#endif
}

std::shared_ptr<Comm> init(const RankEnv& env, const std::string&, std::chrono::milliseconds) {
  throw std::runtime_error("cannot run " + std::to_string(env.world) + " processes (" + env.source +
                           "): " + unavailable_reason() +
                           "; reconfigure with -DCAST_WITH_C10D=ON where LibTorch's Gloo process group and libgloo-dev "
                           "are installed");
}

#endif

void broadcast_module(Comm& c, torch::nn::Module& m) {
  torch::NoGradGuard g;
  std::vector<torch::Tensor> ts;
  for (auto& p : m.parameters()) ts.push_back(p.detach());
  for (auto& b : m.buffers()) ts.push_back(b.detach());
  c.broadcast(ts, 0);
}

bool sync_gradients(Comm& c, const std::vector<torch::Tensor>& params, bool stop_local, std::vector<double>& scalars,
                    std::size_t bucket_bytes) {
  torch::NoGradGuard g;
  const auto P = static_cast<int64_t>(params.size());
  // Flags: a gradient per parameter, the stop request, then the caller's scalars (double).
  auto flags = torch::zeros({P + 1 + static_cast<int64_t>(scalars.size())}, torch::kDouble);
  auto fa = flags.accessor<double, 1>();
  for (int64_t i = 0; i < P; ++i) fa[i] = params[static_cast<std::size_t>(i)].grad().defined() ? 1 : 0;
  fa[P] = stop_local ? 1 : 0;
  for (std::size_t k = 0; k < scalars.size(); ++k) fa[P + 1 + static_cast<int64_t>(k)] = scalars[k];
  c.allreduce_sum(flags);
  fa = flags.accessor<double, 1>();
  for (std::size_t k = 0; k < scalars.size(); ++k) scalars[k] = fa[P + 1 + static_cast<int64_t>(k)];
  const bool stop = fa[P] > 0;
  // Buckets of parameters with a gradient somewhere (zeros where this rank has none), in order.
  std::vector<std::size_t> bucket;
  std::size_t bytes = 0;
  auto flush = [&] {
    if (bucket.empty()) return;
    std::vector<torch::Tensor> flat;
    for (auto i : bucket) {
      const auto& p = params[i];
      flat.push_back(p.grad().defined() ? p.grad().reshape({-1}) : torch::zeros({p.numel()}, p.options()));
    }
    auto buf = torch::cat(flat);
    c.allreduce_sum(buf);
    int64_t off = 0;
    for (auto i : bucket) {
      auto p = params[i];
      auto part = buf.slice(0, off, off + p.numel()).view(p.sizes());
      off += p.numel();
      if (p.grad().defined()) p.mutable_grad().copy_(part);
      else p.mutable_grad() = part.clone();
    }
    bucket.clear();
    bytes = 0;
  };
  for (int64_t i = 0; i < P; ++i) {
    if (fa[i] <= 0) continue;
    const auto& p = params[static_cast<std::size_t>(i)];
    bucket.push_back(static_cast<std::size_t>(i));
    bytes += static_cast<std::size_t>(p.numel()) * p.element_size();
    if (bytes >= bucket_bytes) flush();
  }
  flush();
  return stop;
}

std::vector<double> gather_rows(Comm& c, const std::vector<double>& local, const std::vector<std::size_t>& batch_sizes) {
  const int W = c.world();
  std::vector<std::size_t> count(static_cast<std::size_t>(W), 0);
  for (auto n : batch_sizes)
    for (int r = 0; r < W; ++r) {
      auto [lo, hi] = shard(n, r, W);
      count[static_cast<std::size_t>(r)] += hi - lo;
    }
  if (local.size() != count[static_cast<std::size_t>(c.rank())])
    throw std::logic_error("gather_rows: this rank holds " + std::to_string(local.size()) + " values, its shards " +
                           std::to_string(count[static_cast<std::size_t>(c.rank())]));
  const auto most = *std::max_element(count.begin(), count.end());
  auto t = torch::zeros({static_cast<int64_t>(std::max<std::size_t>(1, most))}, torch::kDouble);
  std::copy(local.begin(), local.end(), t.data_ptr<double>());
  auto all = c.allgather(t);
  std::vector<const double*> src;
  for (auto& x : all) src.push_back(x.data_ptr<double>());
  std::vector<std::size_t> pos(static_cast<std::size_t>(W), 0);
  std::vector<double> out;
  for (auto n : batch_sizes)
    for (int r = 0; r < W; ++r) {
      auto [lo, hi] = shard(n, r, W);
      for (std::size_t k = lo; k < hi; ++k) out.push_back(src[static_cast<std::size_t>(r)][pos[static_cast<std::size_t>(r)]++]);
    }
  return out;
}

void require_same(Comm& c, const std::string& what, const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  auto t = torch::tensor({static_cast<int64_t>(h)}, torch::kLong);
  auto all = c.allgather(t);
  for (int r = 0; r < c.world(); ++r)
    if (all[static_cast<std::size_t>(r)].item<int64_t>() != all[0].item<int64_t>())
      throw std::invalid_argument("rank " + std::to_string(r) + " of " + std::to_string(c.world()) + " has another " + what +
                                  " than rank 0: every rank must run the same command on the same data (refused)");
}

}  // namespace cast::dist
