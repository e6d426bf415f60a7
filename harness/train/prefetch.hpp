// Batches assembled ahead of the step: background threads build batch k+1.. from the featurized
// cache (build_batch: collate the graphs, pad the token ids) while the training thread runs step
// k, so a GPU does not wait on the host. Memory is bounded: at most `depth` batches are built and
// not yet taken. Order and content are those of building each batch in turn on the training
// thread (the batches' rows are fixed before; building draws no random numbers), so a seed gives
// the same run with or without prefetching (tests/test_train.cpp pins it).
//
// On CUDA the tensors go into pinned (page-locked) host memory on the worker, so that the
// training thread's copy to the device (ModelBatch::to, non_blocking) is asynchronous.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "baselines/regressors.hpp"

namespace cast {

class BatchPrefetcher {
 public:
  using Make = std::function<ModelBatch(std::size_t)>;
  // Batches first..n-1, each made by make(k). depth 0: made on the calling thread in next()
  // (today's path, no thread). workers: background threads (>= 1 when depth > 0).
  BatchPrefetcher(std::size_t first, std::size_t n, Make make, std::size_t depth, std::size_t workers, bool pin);
  ~BatchPrefetcher();
  BatchPrefetcher(const BatchPrefetcher&) = delete;
  BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

  // The next batch in order; rethrows what making it threw (the message names the entries).
  ModelBatch next();
  // Seconds the caller spent in next(): waiting for a batch (or, with depth 0, building it).
  double wait_seconds() const { return wait_s_; }

 private:
  void work();

  const std::size_t n_, depth_;
  Make make_;
  const bool pin_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::map<std::size_t, ModelBatch> done_;
  std::map<std::size_t, std::exception_ptr> errors_;
  std::size_t next_take_, next_make_;
  bool stop_ = false;
  double wait_s_ = 0;
  std::vector<std::thread> threads_;
};

// The batch's tensors in pinned host memory (a copy; for asynchronous host-to-device copies).
ModelBatch pinned(const ModelBatch& b);

}  // namespace cast
