// Data-parallel collectives on c10d (PyTorch's process groups; no transport of our own): Gloo on
// CPU, NCCL on CUDA (one GPU per local rank), rendezvous through a TCPStore served by rank 0.
// Built only with CAST_WITH_C10D (CMake checks that the Gloo process group compiles and links);
// without it init() says why it cannot run.
//
// What the trainers use:
//   broadcast_module   rank 0's parameters and buffers to every rank (after set-up)
//   sync_gradients     bucketed all-reduce (SUM) of the gradients after backward, together with
//                      a small vector of flags: which parameters got a gradient anywhere, whether
//                      any rank was asked to stop, the shard losses
//   gather_rows        evaluation shards gathered back in the original order
//   require_same       a hash of the configuration compared across ranks at start
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dist/rank_env.hpp"

namespace cast::dist {

class Comm {
 public:
  virtual ~Comm() = default;
  int rank() const { return rank_; }
  int world() const { return world_; }
  const std::string& backend() const { return backend_; }
  torch::Device device() const { return device_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  // In place, from `root`.
  virtual void broadcast(std::vector<torch::Tensor>& ts, int root = 0) = 0;
  virtual void allreduce_sum(torch::Tensor& t) = 0;
  // Every rank's t (same shape on every rank), by rank.
  virtual std::vector<torch::Tensor> allgather(const torch::Tensor& t) = 0;
  // Waits for every rank, up to `timeout` (a longer one than the collectives': rank 0 writes
  // checkpoints and prepares the data while the others wait here).
  virtual void barrier(std::chrono::milliseconds timeout) = 0;

 protected:
  int rank_ = 0, world_ = 1;
  std::string backend_;
  torch::Device device_ = torch::kCPU;
  std::chrono::milliseconds timeout_{30000};
};

// True when this cast was built with c10d; else why not.
bool available();
std::string unavailable_reason();

// The process group of env on `device` ("cpu" -> Gloo; "cuda" -> NCCL on cuda:<local rank>).
// Collectives that wait longer than `timeout` (a dead or hung rank) throw with a message.
std::shared_ptr<Comm> init(const RankEnv& env, const std::string& device, std::chrono::milliseconds timeout);

// The device a rank trains on: "cuda" becomes cuda:<local rank>.
std::string rank_device(const RankEnv& env, const std::string& device);

void broadcast_module(Comm& c, torch::nn::Module& m);

// All-reduces (SUM) the gradients of `params` in buckets of about `bucket_bytes`, and `scalars`
// (e.g. the shard's loss) with them. A parameter keeps no gradient when no rank produced one
// (as in one process). Returns true when any rank asked to stop (stop_local).
bool sync_gradients(Comm& c, const std::vector<torch::Tensor>& params, bool stop_local, std::vector<double>& scalars,
                    std::size_t bucket_bytes = std::size_t{4} << 20);

// Shard [lo, hi) of n items for rank r of world w (contiguous, sizes differ by at most one).
std::pair<std::size_t, std::size_t> shard(std::size_t n, int r, int w);

// Values of every batch's shards, each rank holding the values of its shards in batch order,
// gathered into the batches' order. batch_sizes: the global batches' sizes.
std::vector<double> gather_rows(Comm& c, const std::vector<double>& local, const std::vector<std::size_t>& batch_sizes);

// Throws unless every rank passed the same text (FNV-1a hash compared).
void require_same(Comm& c, const std::string& what, const std::string& text);

}  // namespace cast::dist
