#include "train/prefetch.hpp"

#include <chrono>
#include <stdexcept>

namespace cast {

namespace {
torch::Tensor pin(const torch::Tensor& t) { return t.defined() ? t.pin_memory() : t; }
}  // namespace

ModelBatch pinned(const ModelBatch& b) {
  ModelBatch p = b;
  auto& g = p.graphs;
  for (auto* t : {&g.element_index, &g.node_features, &g.multiplicity, &g.graph_index, &g.edge_src, &g.edge_dst,
                  &g.edge_distance, &p.token_ids, &p.token_mask, &p.targets})
    *t = pin(*t);
  return p;
}

BatchPrefetcher::BatchPrefetcher(std::size_t first, std::size_t n, Make make, std::size_t depth, std::size_t workers,
                                 bool pin)
    : n_(n), depth_(depth), make_(std::move(make)), pin_(pin), next_take_(first), next_make_(first) {
  if (depth_ == 0 || first >= n_) return;
  const std::size_t w = std::max<std::size_t>(1, std::min(workers, depth_));
  for (std::size_t i = 0; i < w; ++i) threads_.emplace_back([this] { work(); });
}

BatchPrefetcher::~BatchPrefetcher() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  space_.notify_all();
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void BatchPrefetcher::work() {
  for (;;) {
    std::size_t k;
    {
      std::unique_lock<std::mutex> l(mu_);
      // Bounded: a batch is started only while fewer than depth are built or being built ahead
      // of the one the caller takes next.
      space_.wait(l, [&] { return stop_ || next_make_ >= n_ || next_make_ < next_take_ + depth_; });
      if (stop_ || next_make_ >= n_) return;
      k = next_make_++;
    }
    ModelBatch b;
    std::exception_ptr err;
    try {
      b = make_(k);
      if (pin_) b = pinned(b);
    } catch (...) {
      err = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      if (err) errors_[k] = err;
      else done_[k] = std::move(b);
    }
    ready_.notify_all();
  }
}

ModelBatch BatchPrefetcher::next() {
  const auto t0 = std::chrono::steady_clock::now();
  auto waited = [&] { wait_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  if (next_take_ >= n_) throw std::logic_error("BatchPrefetcher: no batch left to take");
  if (threads_.empty()) {
    const std::size_t k = next_take_++;
    ModelBatch b = make_(k);
    if (pin_) b = pinned(b);
    waited();
    return b;
  }
  std::unique_lock<std::mutex> l(mu_);
  const std::size_t k = next_take_;
  ready_.wait(l, [&] { return done_.count(k) || errors_.count(k); });
  if (errors_.count(k)) {
    auto e = errors_[k];
    waited();
    std::rethrow_exception(e);
  }
  ModelBatch b = std::move(done_[k]);
  done_.erase(k);
  ++next_take_;
  l.unlock();
  space_.notify_all();
  waited();
  return b;
}

}  // namespace cast
